#!/usr/bin/env bash
# `make run`: the main job end to end on embedded defaults (local Spark, ./lakehouse, ./landing, ./exports).
# It grows as the pipeline grows; every step it runs is real.
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-small}; days=${2:-3}; start=${3:-2026-11-02}; seed=${4:-20261102}
bin=.venv/bin
started=$(date +%s)

echo "== 1. data standard: load and cross-check schemas/"
$bin/jianguan schemas check
$bin/jianguan schemas render --check

echo "== 2. lakehouse tables"
$bin/jianguan tables

echo "== done in $(( $(date +%s) - started )) s"
