{#-
  Standardisation expressions of the staging layer (conventions.md: staging = rename/cast/normalise only).
-#}

{#- Full-width ASCII variants (U+FF01–U+FF5E) and the ideographic space to their half-width forms. -#}
{% macro halfwidth(expression) -%}
  translate({{ expression }}, '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　', '!"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ')
{%- endmacro %}

{#- Trimmed, whitespace-collapsed, half-width text; empty strings become null. -#}
{% macro clean_text(expression) -%}
  nullif(regexp_replace(trim({{ halfwidth(expression) }}), '\\s+', ' '), '')
{%- endmacro %}

{#- A code: clean text, upper case (code lists, region/item/checklist codes, USCC letters). -#}
{% macro clean_code(expression) -%}
  upper({{ clean_text(expression) }})
{%- endmacro %}

{#- An identifier code such as a USCC: upper case, separators and spaces removed. -#}
{% macro clean_identifier(expression) -%}
  nullif(regexp_replace(upper({{ halfwidth(expression) }}), '[^0-9A-Z]', ''), '')
{%- endmacro %}

{#-
  Whether a (cleaned) 统一社会信用代码 is valid: structure and GB 32100-2015 check character
  (weights 3^(i-1) mod 31 over the 31-character alphabet, as jianguan.validate.codes.check_uscc).
-#}
{% macro is_valid_uscc(expression) -%}
  {%- set alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY' -%}
  {%- set weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] -%}
  coalesce(
    {{ expression }} rlike '^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$'
    and substr({{ expression }}, 18, 1) = substr('{{ alphabet }}', pmod(31 - pmod(
      {%- for weight in weights %}
      (instr('{{ alphabet }}', substr({{ expression }}, {{ loop.index }}, 1)) - 1) * {{ weight }}{% if not loop.last %} +{% endif %}
      {%- endfor %}
    , 31), 31) + 1, 1),
    false
  )
{%- endmacro %}

{#- A name for matching: clean text without spaces and with ASCII parentheses (（有限公司） → (有限公司)). -#}
{% macro match_name(expression) -%}
  nullif(regexp_replace({{ clean_text(expression) }}, '\\s', ''), '')
{%- endmacro %}

{#-
  The matching key of a party's name, from its match_name (`name_match`: computed once by the caller, it is read
  twice here): one spelling per legal form (有限责任公司 → 有限公司, 股份公司 → 股份有限公司, as
  jianguan.risk.inputs.name_key), and null for the placeholders complainants and hotline operators write when they
  do not know the party (var placeholder_party_names, e.g. 未知商家).
-#}
{% macro party_name_key(name_match) -%}
  case
    when {{ name_match }} in ({% for name in var('placeholder_party_names') %}'{{ name }}'{{ ', ' if not loop.last }}{% endfor %}) then null
    else regexp_replace(regexp_replace({{ name_match }}, '有限责任公司$', '有限公司'), '股份公司$', '股份有限公司')
  end
{%- endmacro %}


{#-
  The matching form of a standardised field that names a party (its `match_key` in schemas/): a valid USCC (else
  null) or an address without spaces. The staging models add it as `<field>_match_key`. A name's key is
  `party_name_key` of its `match_name`, which reads the matched name twice: stage_bronze matches the name once in
  its `matched` CTE and keys that column, so this macro has no `name` kind.
-#}
{% macro match_key_of(kind, expression) -%}
  {%- if kind == 'uscc' -%}
    case when {{ is_valid_uscc(expression) }} then {{ expression }} end
  {%- elif kind == 'name' -%}
    {{ exceptions.raise_compiler_error("match_key_of: a name's key is party_name_key of its match_name, computed in stage_bronze's `matched` CTE") }}
  {%- elif kind == 'address' -%}
    {{ match_name(expression) }}
  {%- else -%}
    {{ exceptions.raise_compiler_error('match_key_of: unknown match_key ' ~ kind) }}
  {%- endif -%}
{%- endmacro %}
