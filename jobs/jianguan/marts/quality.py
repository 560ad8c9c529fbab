"""Dedup and entity-resolution quality of the marts, measured against the simulator's ground truth.

Pairwise precision, recall and F1 of a *predicted* clustering (what the marts decided belongs together) against
a *true* clustering (what the simulator knows belongs together), over the same items. Pairs are counted from
cluster sizes and the contingency table (never enumerated): for ``n`` items in a cluster there are
``n·(n−1)/2`` pairs, and a pair is a true positive when both its items share a predicted **and** a true
cluster.

Items present on one side only are reported, never silently dropped:

* an item of the truth that the prediction lacks counts as a **predicted singleton** (the marts lost it: its
  true pairs are missed merges, it makes no false merge);
* an item of the prediction that the truth lacks is **not scored** (nothing says what it should be).

Conventions for empty denominators: precision is 1.0 when the prediction makes no pair (no false merge was
made), recall is 1.0 when the truth has no pair (nothing to find); F1 is their harmonic mean (0.0 when both are
0). A fully split prediction of a truth with pairs therefore scores P = 1, R = 0, F1 = 0.

Loaders (no Spark: ``deltalake`` + pyarrow):

* :func:`load_entity_clustering` — every mention of ``int_entity_mentions`` as resolved by
  ``int_entities_resolved`` (predicted = ``entity_key``) against the real party of the source row (truth);
* :func:`load_complaint_clustering` — every complaint record of the three channels as grouped by
  ``int_complaints_deduplicated`` (predicted = ``complaint_id``, cross-checked with ``fct_complaints``)
  against the simulator's real complaint event.

How the truth is joined: the truth names delivered rows by (landing-relative file, 1-based record number),
which bronze keeps as ``source_file`` / ``source_row_number``. A mention's ``source_id`` is recomputed from the
bronze row with the same expression as ``int_entity_mentions`` (:data:`MENTION_SOURCES`), so each mention gets
every bronze row (every delivered version) of its business key. See ``docs/marts.md`` ("Measuring quality").
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

UNKNOWN_ENTITY_KEY = "0000000000000000"
"""``dim_entities``' unknown member: a sink for unresolvable mentions, not a claim that they are one party."""

DEFAULT_EXAMPLES = 5

_Label = TypeVar("_Label", bound=Hashable)


# ==========================================================================================================
# Pairwise precision / recall / F1
# ==========================================================================================================
def pairs(size: int) -> int:
    """Unordered pairs among ``size`` items."""
    return size * (size - 1) // 2


@dataclass(frozen=True)
class PairwiseQuality:
    """Pairwise quality of one predicted clustering against the true one (see the module docstring)."""

    items: int
    """Items scored: every item of the truth (those the prediction lacks count as predicted singletons)."""
    true_clusters: int
    predicted_clusters: int
    """Predicted clusters over the scored items (a missing item is its own cluster)."""
    true_pairs: int
    predicted_pairs: int
    tp: int
    fp: int
    """Pairs merged by the prediction that are not the same real thing (false merges)."""
    fn: int
    """Pairs of the same real thing that the prediction keeps apart (missed merges)."""
    precision: float
    recall: float
    f1: float
    only_truth: int
    """Items of the truth absent from the prediction (scored as predicted singletons)."""
    only_predicted: int
    """Items of the prediction absent from the truth (not scored)."""
    false_merges: tuple[tuple[str, str], ...] = ()
    missed_merges: tuple[tuple[str, str], ...] = ()
    only_truth_examples: tuple[str, ...] = ()
    only_predicted_examples: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("false_merges", "missed_merges"):
            data[name] = [list(pair) for pair in data[name]]
        for name in ("only_truth_examples", "only_predicted_examples"):
            data[name] = list(data[name])
        for name in ("precision", "recall", "f1"):
            data[name] = round(data[name], 6)
        return data


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 1.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _sort_key(value: Hashable) -> tuple[str, str]:
    return (type(value).__name__, str(value))


def pairwise_quality(
    predicted: Mapping[str, Hashable], truth: Mapping[str, Hashable], *, examples: int = DEFAULT_EXAMPLES
) -> PairwiseQuality:
    """Pairwise precision/recall/F1 of ``predicted`` (item → cluster label) against ``truth`` (item → label).

    Labels are compared within one side only (a predicted label never equals a true one by meaning). Items
    only in ``truth`` are predicted singletons; items only in ``predicted`` are not scored. Up to ``examples``
    false merges (same predicted, different true cluster) and missed merges (same true, different predicted
    cluster) are returned as item pairs, smallest ids first.
    """
    only_truth = sorted(item for item in truth if item not in predicted)
    only_predicted = sorted(item for item in predicted if item not in truth)
    predicted_label: dict[str, tuple[bool, Hashable]] = {
        item: (True, predicted[item]) if item in predicted else (False, item) for item in truth
    }
    joint = Counter((predicted_label[item], truth[item]) for item in truth)
    predicted_sizes = Counter(predicted_label.values())
    true_sizes = Counter(truth.values())
    tp = sum(pairs(n) for n in joint.values())
    predicted_pairs = sum(pairs(n) for n in predicted_sizes.values())
    true_pairs = sum(pairs(n) for n in true_sizes.values())
    precision = _ratio(tp, predicted_pairs)
    recall = _ratio(tp, true_pairs)
    return PairwiseQuality(
        items=len(truth),
        true_clusters=len(true_sizes),
        predicted_clusters=len(predicted_sizes),
        true_pairs=true_pairs,
        predicted_pairs=predicted_pairs,
        tp=tp,
        fp=predicted_pairs - tp,
        fn=true_pairs - tp,
        precision=precision,
        recall=recall,
        f1=_f1(precision, recall),
        only_truth=len(only_truth),
        only_predicted=len(only_predicted),
        false_merges=tuple(_disagreeing_pairs(predicted_label, truth, examples)),
        missed_merges=tuple(_disagreeing_pairs(truth, predicted_label, examples)),
        only_truth_examples=tuple(only_truth[:examples]),
        only_predicted_examples=tuple(only_predicted[:examples]),
    )


def _disagreeing_pairs(
    outer: Mapping[str, Hashable], inner: Mapping[str, Hashable], limit: int
) -> Iterator[tuple[str, str]]:
    """Pairs of items in one ``outer`` cluster but different ``inner`` clusters (largest outer clusters first)."""
    if limit <= 0:
        return
    clusters: dict[Hashable, dict[Hashable, list[str]]] = defaultdict(lambda: defaultdict(list))
    for item, label in outer.items():
        clusters[label][inner[item]].append(item)
    split = [groups for groups in clusters.values() if len(groups) > 1]
    split.sort(key=lambda groups: (-sum(map(len, groups.values())), min(min(g) for g in groups.values())))
    found = 0
    for groups in split:
        firsts = sorted(min(group) for group in groups.values())
        for other in firsts[1:]:
            yield (firsts[0], other)
            found += 1
            if found >= limit:
                return


def recall_by_group(
    predicted: Mapping[str, Hashable], truth: Mapping[str, _Label], group_of: Mapping[_Label, str]
) -> dict[str, dict[str, float | int]]:
    """Recall of the true pairs split by a property of the true cluster (``group_of``: true label → group).

    True clusters without a group are left out. Missing predicted items are singletons, as above.
    """
    joint: Counter[tuple[Hashable, _Label]] = Counter()
    true_sizes: Counter[_Label] = Counter()
    for item, label in truth.items():
        if label not in group_of:
            continue
        joint[((True, predicted[item]) if item in predicted else (False, item), label)] += 1
        true_sizes[label] += 1
    result: dict[str, dict[str, float | int]] = {}
    for group in sorted(set(group_of[label] for label in true_sizes)):
        true_pairs = sum(pairs(n) for label, n in true_sizes.items() if group_of[label] == group)
        tp = sum(pairs(n) for (_, label), n in joint.items() if group_of[label] == group)
        clusters = sum(1 for label in true_sizes if group_of[label] == group)
        result[group] = {
            "true_clusters": clusters,
            "true_pairs": true_pairs,
            "tp": tp,
            "recall": round(_ratio(tp, true_pairs), 6),
        }
    return result


# ==========================================================================================================
# Normalisation (mirrors the staging macros, enough to recompute business keys)
# ==========================================================================================================
_HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_NOT_IDENTIFIER = re.compile(r"[^0-9A-Z]")
_SPACES = re.compile(r"\s+")


def halfwidth(text: str) -> str:
    return text.translate(_HALFWIDTH)


def clean_text(value: Any) -> str | None:
    """``clean_text`` of the staging macros: half-width, trimmed, whitespace collapsed, '' → None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    text = _SPACES.sub(" ", halfwidth(str(value)).strip())
    return text or None


def clean_code(value: Any) -> str | None:
    text = clean_text(value)
    return text.upper() if text is not None else None


def clean_identifier(value: Any) -> str | None:
    """``clean_identifier``: upper case, half-width, everything but 0-9/A-Z removed, '' → None."""
    if value is None:
        return None
    text = _NOT_IDENTIFIER.sub("", halfwidth(str(value)).upper())
    return text or None


def name_key(value: Any) -> str | None:
    """A party name for looking it up in the simulated world: NFKC, no whitespace at all."""
    if value is None:
        return None
    text = _SPACES.sub("", unicodedata.normalize("NFKC", str(value)))
    return text or None


def id_part(column: str, value: Any) -> str | None:
    """One part of a mention's ``source_id`` as staging would have it (USCC columns are identifiers)."""
    if column == "uscc" or column.endswith("_uscc"):
        return clean_identifier(value)
    if column.endswith("_code"):
        return clean_code(value)
    return clean_text(value)


def source_id(columns: tuple[str, ...], row: Mapping[str, Any]) -> str | None:
    """``cast(col as string)`` for one column, ``concat_ws('|', …)`` (nulls skipped) for several."""
    parts = [id_part(column, row.get(column)) for column in columns]
    if len(columns) == 1:
        return parts[0]
    return "|".join(part for part in parts if part is not None)


def party_kind(uscc: str) -> str:
    """The kind of legal person a (valid) USCC names: 登记管理部门 + 机构类别 (GB 32100)."""
    if uscc.startswith("91"):
        return "enterprise"
    if uscc.startswith("92"):
        return "individual_business"
    if uscc.startswith("5"):
        return "other_legal_person"
    return "other"


# ==========================================================================================================
# Reading
# ==========================================================================================================
def read_delta(path: Path, columns: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Rows of a Delta table (only ``columns`` that exist); [] when the table does not exist."""
    import deltalake

    if not (path / "_delta_log").is_dir():
        return []
    table = deltalake.DeltaTable(str(path))
    if columns is None:
        return list(table.to_pyarrow_table().to_pylist())
    present = set(table.schema().to_arrow().names)
    wanted = [c for c in dict.fromkeys(columns) if c in present]
    return list(table.to_pyarrow_table(columns=wanted).to_pylist())


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


@dataclass(frozen=True)
class TruthRows:
    """The row-level facts of the ground truth needed here, keyed by (file, row)."""

    entity_names: dict[tuple[str, int], dict[str, Any]]
    dirty: dict[tuple[str, int, str], dict[str, Any]]
    """(file, row, field) → the dirty_rows entry (identity and region kinds only)."""
    complaint_links: list[dict[str, Any]]
    run: dict[str, Any]

    @classmethod
    def load(cls, truth_root: Path) -> TruthRows:
        if not (truth_root / "manifest.json").exists():
            raise FileNotFoundError(f"no ground truth at {truth_root} (manifest.json missing)")
        manifest = json.loads((truth_root / "manifest.json").read_text(encoding="utf-8"))
        names = {(e["file"], int(e["row"])): e for e in read_jsonl(truth_root / "entity_names.jsonl")}
        dirty = {
            (e["file"], int(e["row"]), str(e.get("field"))): e
            for e in read_jsonl(truth_root / "dirty_rows.jsonl")
            if e.get("row") is not None and e.get("kind") in ("bad_check_char", "uscc_missing", "bad_region")
        }
        links = list(read_jsonl(truth_root / "complaint_links.jsonl"))
        return cls(names, dirty, links, manifest.get("run", {}))


# ==========================================================================================================
# Entities
# ==========================================================================================================
@dataclass(frozen=True)
class MentionSource:
    """How ``int_entity_mentions`` reads one staging model (its bronze table has the same columns)."""

    model: str
    id_columns: tuple[str, ...]
    uscc_column: str
    name_column: str | None
    region_column: str = "region_code"

    @property
    def table(self) -> str:
        return self.model.split("__", 1)[1]


MENTION_SOURCES: tuple[MentionSource, ...] = (
    MentionSource("stg_objects__enterprises", ("entity_pripid",), "uscc", "party_name"),
    MentionSource("stg_objects__individual_businesses", ("entity_pripid",), "uscc", "party_name"),
    MentionSource("stg_objects__other_legal_persons", ("uscc",), "uscc", "party_name"),
    MentionSource("stg_actions__inspections", ("inspection_code",), "uscc", "party_name"),
    MentionSource("stg_actions__penalties", ("penalty_action_code",), "uscc", "party_name"),
    MentionSource("stg_actions__coercive_measures", ("coercive_action_code",), "uscc", "party_name"),
    MentionSource("stg_actions__other_actions", ("other_action_code",), "uscc", "party_name"),
    MentionSource("stg_credit__abnormal_operations", ("abnormal_id",), "uscc", "party_name"),
    MentionSource("stg_credit__serious_violations", ("serious_violation_id",), "uscc", "party_name"),
    MentionSource("stg_credit__dishonest_debtors", ("dishonest_id",), "uscc", "party_name"),
    MentionSource("stg_credit__joint_punishments", ("punishment_record_id",), "uscc", "party_name"),
    MentionSource(
        "stg_credit__public_licences",
        ("licence_decision_no", "licensing_authority_uscc"),
        "uscc",
        "party_name",
    ),
    MentionSource(
        "stg_credit__public_penalties", ("penalty_decision_no", "authority_uscc"), "uscc", "party_name"
    ),
    MentionSource("stg_credit__credit_ratings", ("uscc", "rating_source_code", "rated_date"), "uscc", None),
    MentionSource("stg_complaints__hotline_work_orders", ("work_order_no",), "target_uscc", "target_name"),
    MentionSource("stg_complaints__consumer_complaints", ("complaint_no",), "target_uscc", "target_name"),
    MentionSource("stg_complaints__national_dispatches", ("dispatch_id",), "target_uscc", "target_name"),
    MentionSource("stg_third_party__online_shops", ("platform_code", "shop_id"), "uscc", "shop_name"),
    MentionSource("stg_third_party__public_opinion", ("opinion_id",), "uscc", "party_name"),
)
"""Mirror of ``dbt_project/models/intermediate/int_entity_mentions.sql`` (a unit test keeps them in step)."""


class WorldNames:
    """Name → USCC of every party of the simulated world (regenerated from the truth manifest's run).

    Needed for rows that carry no USCC by design (a complaint naming its target only): the truth lists only
    rows that were *dirtied*, so for such a clean row the party is the world's party of that name (and region
    when the name alone is ambiguous).
    """

    def __init__(self, parties: Iterable[tuple[str, str, str]]) -> None:
        self.by_name: dict[str, dict[str, str]] = defaultdict(dict)
        self.name_of: dict[str, str] = {}
        for uscc, name, region in parties:
            key = name_key(name)
            if key is None:
                continue
            self.by_name[key][uscc] = region
            self.name_of[uscc] = key

    def __len__(self) -> int:
        return len(self.name_of)

    def lookup(self, name: str | None, region: str | None) -> tuple[str | None, str]:
        """(USCC, how) for a party name; USCC None with the reason when the world cannot say."""
        key = name_key(name)
        if key is None:
            return None, "no_name"
        if "*" in key:
            return None, "name_masked"
        candidates = self.by_name.get(key)
        if not candidates:
            return None, "name_not_a_party"
        if len(candidates) == 1:
            return next(iter(candidates)), "world_name"
        in_region = [uscc for uscc, where in candidates.items() if where == region]
        if len(in_region) == 1:
            return in_region[0], "world_name_region"
        return None, "name_ambiguous"

    @classmethod
    def from_run(cls, run: Mapping[str, Any], schemas_root: Path, max_parties: int = 500_000) -> WorldNames:
        """Rebuild the world of a simulator run (scale, seed, days, start, province) and list its parties."""
        from jianguan.sim.config import SCALES, DirtConfig, SimConfig
        from jianguan.sim.world import World
        from jianguan.spec.loader import load_standard

        scale = SCALES[str(run["scale"])]
        dirt = {k: v for k, v in dict(run.get("dirt") or {}).items() if k in DirtConfig.__dataclass_fields__}
        config = SimConfig(
            scale=scale,
            seed=int(run["seed"]),
            days=int(run["days"]),
            start=date.fromisoformat(str(run["start"])),
            province_code=str(run.get("province_code", "420000")),
            landing_root=Path("/nonexistent/jianguan-quality/landing"),
            truth_root=Path("/nonexistent/jianguan-quality/truth"),
            schemas_root=schemas_root,
            dirt=DirtConfig(**dirt),
        )
        world = World(config, load_standard(schemas_root))
        kinds = ("enterprise", "individual", "social")
        total = sum(world.party_count(kind, world.end) for kind in kinds)
        if total > max_parties:
            raise ValueError(f"{total:,} parties in the world; over the limit of {max_parties:,}")

        def parties() -> Iterator[tuple[str, str, str]]:
            for kind in kinds:
                for index in range(world.party_count(kind, world.end)):
                    party = world._make_party(kind, index)  # uncached: each is visited once
                    yield party.uscc, party.name, party.region.code

        return cls(parties())


@dataclass
class EntityClustering:
    """Mentions with their predicted entity and, when the truth can say, their real party."""

    predicted: dict[str, str]
    """item (``<source_model>:<source_id>``) → entity_key (the unknown member → a singleton label)."""
    truth: dict[str, str]
    """item → real party's USCC."""
    kind: dict[str, str]
    """item → kind of the real party (enterprise, individual_business, other_legal_person, other)."""
    match_reason: dict[str, str]
    truth_method: Counter[str] = field(default_factory=Counter)
    """How the real party of the scored items was found (entity_names, dirty_rows, written, world_name …)."""
    excluded: Counter[str] = field(default_factory=Counter)
    """Predicted mentions left out of scoring, by reason (the truth cannot name their party)."""
    excluded_by_model: Counter[str] = field(default_factory=Counter)
    excluded_examples: dict[str, list[str]] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)


def _row_party(
    source: MentionSource, row: Mapping[str, Any], truth: TruthRows, world: WorldNames | None
) -> tuple[str | None, str]:
    """(real party's USCC, method) of one delivered row, or (None, reason)."""
    where = (str(row.get("source_file")), int(row.get("source_row_number") or 0))
    named = truth.entity_names.get(where)
    if named is not None and named.get("canonical_uscc"):
        return clean_identifier(named["canonical_uscc"]), "entity_names"
    wrong = truth.dirty.get((*where, source.uscc_column))
    if (
        wrong is not None
        and wrong.get("kind") in ("bad_check_char", "uscc_missing")
        and wrong.get("original")
    ):
        return clean_identifier(wrong["original"]), "dirty_rows"
    written = clean_identifier(row.get(source.uscc_column))
    if written is not None:
        return written, "written"
    if world is None:
        return None, "no_uscc_and_no_world"
    name = (
        named.get("canonical_name") if named else row.get(source.name_column) if source.name_column else None
    )
    region_fix = truth.dirty.get((*where, source.region_column))
    region = clean_code(region_fix["original"] if region_fix else row.get(source.region_column))
    return world.lookup(name, region)


def load_entity_clustering(
    lakehouse: Path,
    truth_root: Path,
    *,
    world: WorldNames | None = None,
    examples: int = DEFAULT_EXAMPLES,
) -> EntityClustering:
    """Predicted vs real party of every mention (``int_entities_resolved`` × bronze rows × truth).

    The real party of a mention is found from every bronze row (delivered version) of its business key, in
    order: the truth's ``entity_names`` (variant name, missing or full-width USCC → canonical USCC); a
    ``dirty_rows`` wrong check character / missing USCC in the mention's USCC column (→ original); the USCC as
    written (the simulator writes the party's own USCC; a clean row is the truth); for rows without any USCC,
    the world's party of that name (``world``; see :class:`WorldNames`). Mentions for which none applies (a
    masked or unknown name such as 未知商家, no world) are excluded and counted by reason.
    """
    from jianguan.validate.codes import check_uscc

    truth = TruthRows.load(truth_root)
    resolved = read_delta(
        lakehouse / "silver" / "int_entities_resolved",
        ["source_model", "source_id", "entity_key", "match_reason"],
    )
    if not resolved:
        raise FileNotFoundError(f"no rows in {lakehouse / 'silver' / 'int_entities_resolved'}")
    clustering = EntityClustering({}, {}, {}, {})
    for row in resolved:
        item = f"{row['source_model']}:{row['source_id']}"
        key = str(row["entity_key"])
        clustering.predicted[item] = f"unknown:{item}" if key == UNKNOWN_ENTITY_KEY else key
        clustering.match_reason[item] = str(row["match_reason"])
    unknown_models = sorted({str(r["source_model"]) for r in resolved} - {s.model for s in MENTION_SOURCES})
    parties: dict[str, Counter[str]] = defaultdict(Counter)
    methods: dict[str, Counter[str]] = defaultdict(Counter)
    reasons: dict[str, Counter[str]] = defaultdict(Counter)
    tables_missing: list[str] = []
    written_invalid = 0
    for source in MENTION_SOURCES:
        columns = [
            *source.id_columns, source.uscc_column, source.region_column, "source_file", "source_row_number",
            *([source.name_column] if source.name_column else []),
        ]  # fmt: skip
        rows = read_delta(lakehouse / "bronze" / source.table, columns)
        if not rows:
            tables_missing.append(source.table)
            continue
        for row in rows:
            mention = source_id(source.id_columns, row)
            if mention is None:
                continue
            item = f"{source.model}:{mention}"
            party, how = _row_party(source, row, truth, world)
            if party is None:
                reasons[item][how] += 1
                continue
            if how == "written" and check_uscc(party) is not None:
                written_invalid += 1
            parties[item][party] += 1
            methods[item][how] += 1
    # A mapped model with bronze rows but not one mention was not part of the build that wrote the prediction
    # (e.g. a lakehouse built before the model listed it): its mentions are left out, and listed.
    predicted_models = {item.split(":", 1)[0] for item in clustering.predicted}
    absent_models = sorted({item.split(":", 1)[0] for item in parties} - predicted_models)
    for item in [i for i in parties if i.split(":", 1)[0] in absent_models]:
        del parties[item]
    conflicts = 0
    for item, counts in parties.items():
        ranked = counts.most_common()
        if len(ranked) > 1:
            conflicts += 1
        party = ranked[0][0]
        clustering.truth[item] = party
        clustering.kind[item] = party_kind(party)
        clustering.truth_method[_strongest(methods[item])] += 1
    for item in [i for i in clustering.predicted if i not in clustering.truth]:
        reason = reasons[item].most_common(1)[0][0] if reasons.get(item) else "no_bronze_row"
        if reason == "no_bronze_row":
            continue  # stays in the prediction: reported as only_predicted by the scores
        del clustering.predicted[item]
        clustering.excluded[reason] += 1
        clustering.excluded_by_model[item.split(":", 1)[0]] += 1
        examples_of = clustering.excluded_examples.setdefault(reason, [])
        if len(examples_of) < examples:
            examples_of.append(item)
    clustering.notes = {
        "mentions_predicted": len(resolved),
        "mentions_with_truth": len(clustering.truth),
        "party_conflicts": conflicts,
        "written_uscc_invalid_without_truth": written_invalid,
        "bronze_tables_missing": tables_missing,
        "models_without_any_mention": absent_models,
        "models_not_mapped": unknown_models,
        "world_parties": len(world) if world is not None else None,
        "unknown_member_mentions": sum(
            1 for label in clustering.predicted.values() if label.startswith("unknown:")
        ),
    }
    if world is not None:
        clustering.notes["world_name_check"] = _world_name_check(lakehouse, truth, world)
    return clustering


def _strongest(methods: Counter[str]) -> str:
    """The method that decided a mention (truth statements before written values before name look-ups)."""
    for method in ("entity_names", "dirty_rows", "written", "world_name", "world_name_region"):
        if methods.get(method):
            return method
    return next(iter(methods))


def _world_name_check(lakehouse: Path, truth: TruthRows, world: WorldNames) -> dict[str, int]:
    """Does the rebuilt world agree with the delivered registers? Compares, for the clean rows of the
    enterprise and social-organisation registers (names are not masked there), the world's name of the written
    USCC with the written name. A disagreement means the world was not rebuilt as simulated."""
    agree = disagree = unknown = 0
    for table in ("enterprises", "other_legal_persons"):
        for row in read_delta(
            lakehouse / "bronze" / table, ["uscc", "party_name", "source_file", "source_row_number"]
        ):
            where = (str(row["source_file"]), int(row["source_row_number"] or 0))
            if where in truth.entity_names or (*where, "uscc") in truth.dirty:
                continue
            uscc, name = clean_identifier(row["uscc"]), name_key(row["party_name"])
            if uscc is None or name is None or "*" in name:
                continue
            known = world.name_of.get(uscc)
            if known is None:
                unknown += 1
            elif known == name:
                agree += 1
            else:
                disagree += 1
    return {"agree": agree, "disagree": disagree, "uscc_not_in_world": unknown}


ENTITY_SCOPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("all_parties", ("enterprise", "individual_business", "other_legal_person", "other")),
    ("enterprises", ("enterprise",)),
    ("individual_businesses", ("individual_business",)),
    ("other_legal_persons", ("other_legal_person",)),
)
"""Scopes scored: every mention with a real party, then each kind alone (a false merge across kinds shows in
``all_parties`` only)."""


def evaluate_entities(
    clustering: EntityClustering, *, examples: int = DEFAULT_EXAMPLES
) -> dict[str, PairwiseQuality]:
    results: dict[str, PairwiseQuality] = {}
    for scope, kinds in ENTITY_SCOPES:
        truth = {item: party for item, party in clustering.truth.items() if clustering.kind[item] in kinds}
        if scope == "all_parties":
            predicted: Mapping[str, str] = clustering.predicted
        else:
            predicted = {item: clustering.predicted[item] for item in truth if item in clustering.predicted}
        results[scope] = pairwise_quality(predicted, truth, examples=examples)
    return results


# ==========================================================================================================
# Complaints
# ==========================================================================================================
COMPLAINT_CHANNELS: tuple[tuple[str, str, str], ...] = (
    ("12345", "hotline_work_orders", "work_order_no"),
    ("12315", "consumer_complaints", "complaint_no"),
    ("NATIONAL", "national_dispatches", "dispatch_id"),
)
"""(channel_code of ``int_complaints_unioned``, bronze table, business key)."""


@dataclass
class ComplaintClustering:
    predicted: dict[str, str]
    """record_key (``<channel>:<source id>``) → complaint_id of ``int_complaints_deduplicated``."""
    truth: dict[str, str]
    """record_key → real event: the truth's ``event_id`` for a record of a multi-channel complaint, else the
    record itself (a single-channel complaint, or a national dispatch that did not start as a complaint)."""
    event_kind: dict[str, str]
    """real event id → ``linked_transfer`` (12345 → 12315 on purpose, the 12315 record names the order) or
    ``independent_refiling`` (filed again on another channel, reworded — what dedup must find)."""
    notes: dict[str, Any] = field(default_factory=dict)


def load_complaint_clustering(
    lakehouse: Path, truth_root: Path, *, examples: int = DEFAULT_EXAMPLES
) -> ComplaintClustering:
    """Predicted vs real complaint event of every complaint record of the three channels.

    Items are the business keys in bronze (what the marts were given). A truth link whose record never reached
    bronze (rejected at ingestion, or delivered after the lakehouse's last day) is counted, not scored.
    """
    truth_rows = TruthRows.load(truth_root)
    channel_of_table = {table: (channel, key) for channel, table, key in COMPLAINT_CHANNELS}
    linked: dict[str, str] = {}
    event_kind: dict[str, str] = {}
    for link in truth_rows.complaint_links:
        channel_key = channel_of_table.get(str(link.get("table")))
        if channel_key is None:
            continue
        channel, key = channel_key
        record = clean_code((link.get("key") or {}).get(key))
        if record is None:
            continue
        linked[f"{channel}:{record}"] = str(link["event_id"])
        if link.get("linked_transfer"):
            event_kind[str(link["event_id"])] = "linked_transfer"
        else:
            event_kind.setdefault(str(link["event_id"]), "independent_refiling")
    truth: dict[str, str] = {}
    for channel, table, key in COMPLAINT_CHANNELS:
        for row in read_delta(lakehouse / "bronze" / table, [key]):
            record = clean_code(row.get(key))
            if record is not None:
                item = f"{channel}:{record}"
                truth[item] = linked.get(item, f"record:{item}")
    deduplicated = read_delta(
        lakehouse / "silver" / "int_complaints_deduplicated", ["record_key", "complaint_id"]
    )
    if not deduplicated:
        raise FileNotFoundError(f"no rows in {lakehouse / 'silver' / 'int_complaints_deduplicated'}")
    predicted = {str(r["record_key"]): str(r["complaint_id"]) for r in deduplicated}
    notes: dict[str, Any] = {
        "records_in_bronze": len(truth),
        "records_predicted": len(predicted),
        "truth_link_records": len(linked),
        "truth_link_records_not_in_bronze": sum(1 for item in linked if item not in truth),
        "truth_link_records_not_in_bronze_examples": sorted(item for item in linked if item not in truth)[
            :examples
        ],
        "fct_complaints_check": _fct_check(lakehouse, predicted),
    }
    return ComplaintClustering(predicted, truth, event_kind, notes)


def _fct_check(lakehouse: Path, predicted: Mapping[str, str]) -> dict[str, int] | None:
    """Does ``fct_complaints`` keep every record under the event ``int_complaints_deduplicated`` gave it?"""
    rows = read_delta(
        lakehouse / "gold" / "fct_complaints",
        ["complaint_id", "hotline_work_order_nos", "consumer_complaint_nos", "national_dispatch_ids"],
    )
    if not rows:
        return None
    columns = {
        "12345": "hotline_work_order_nos",
        "12315": "consumer_complaint_nos",
        "NATIONAL": "national_dispatch_ids",
    }
    in_fct: dict[str, str] = {}
    for row in rows:
        for channel, column in columns.items():
            for source in str(row.get(column) or "").split(","):
                if source:
                    in_fct[f"{channel}:{source}"] = str(row["complaint_id"])
    return {
        "fct_rows": len(rows),
        "records_in_fct": len(in_fct),
        "records_missing_from_fct": sum(1 for item in predicted if item not in in_fct),
        "records_only_in_fct": sum(1 for item in in_fct if item not in predicted),
        "records_under_another_complaint_id": sum(
            1 for item, event in predicted.items() if item in in_fct and in_fct[item] != event
        ),
    }


def evaluate_complaints(
    clustering: ComplaintClustering, *, examples: int = DEFAULT_EXAMPLES
) -> tuple[PairwiseQuality, dict[str, dict[str, float | int]]]:
    """Overall pairwise quality and recall split by kind of real multi-channel event."""
    quality = pairwise_quality(clustering.predicted, clustering.truth, examples=examples)
    by_kind = recall_by_group(clustering.predicted, clustering.truth, clustering.event_kind)
    return quality, by_kind
