"""Every rule, by code, in one table. Read it top to bottom to know what tally checks.

Codes are stable: a retired rule's code is never reused. Families share a two-letter prefix,
which configuration can select, ignore or re-rate as a whole.
"""

from __future__ import annotations

from tally.rules.base import Rule
from tally.rules.conformance.conversion_metric_by_hand import ConversionMetricByHand
from tally.rules.conformance.distinct_count_as_row_count import DistinctCountAsRowCount
from tally.rules.conformance.metric_aggregation_mismatch import MetricAggregationMismatch
from tally.rules.conformance.metric_expression_mismatch import MetricExpressionMismatch
from tally.rules.conformance.metric_filter_added import MetricFilterAdded
from tally.rules.conformance.metric_filter_changed import MetricFilterChanged
from tally.rules.conformance.metric_filter_dropped import MetricFilterDropped
from tally.rules.conformance.metric_time_dimension_mismatch import MetricTimeDimensionMismatch
from tally.rules.conformance.ratio_metric_miscomputed import RatioMetricMiscomputed
from tally.rules.conformance.semi_additive_measure_summed import SemiAdditiveMeasureSummed
from tally.rules.consistency.duplicate_metric_definition import DuplicateMetricDefinition
from tally.rules.consistency.inconsistent_dashboard_definition import InconsistentDashboardDefinition
from tally.rules.fanout.aggregate_after_fanout import AggregateAfterFanout
from tally.rules.governance.personal_data_in_public_model import PersonalDataInPublicModel
from tally.rules.governance.personal_data_on_dashboard import PersonalDataOnDashboard
from tally.rules.inputs.sql_parse_error import SqlParseError
from tally.rules.inputs.unreadable_input import UnreadableInput
from tally.rules.meta.suppressions import SuppressionOfUnknownRule, SuppressionWithoutReason
from tally.rules.portability.not_portable_to_dialect import NotPortableToDialect

FAMILIES = {
    "MC": "metric conformance: dashboards compute metrics as the semantic layer defines them",
    "FO": "fan-out: aggregates over rows a join has duplicated",
    "CQ": "consistency: one name, one definition, across dashboards and metrics",
    "GV": "governance: public interfaces, contracts and personal data",
    "PT": "portability: model SQL every target engine can run",
    "PE": "inputs: files and SQL tally could not read",
    "TL": "suppressions: inline ignores must name a rule and give a reason",
}

RULES: tuple[type[Rule], ...] = (
    # MC: metric conformance
    MetricAggregationMismatch,  # MC001
    MetricFilterDropped,  # MC002
    MetricFilterAdded,  # MC003
    MetricFilterChanged,  # MC004
    MetricExpressionMismatch,  # MC005
    MetricTimeDimensionMismatch,  # MC006
    SemiAdditiveMeasureSummed,  # MC007
    RatioMetricMiscomputed,  # MC008
    DistinctCountAsRowCount,  # MC009
    ConversionMetricByHand,  # MC010
    # FO: fan-out
    AggregateAfterFanout,  # FO001
    # CQ: consistency
    InconsistentDashboardDefinition,  # CQ001
    DuplicateMetricDefinition,  # CQ002
    # GV: governance (personal data; see also the manifest rules)
    PersonalDataInPublicModel,  # GV003
    PersonalDataOnDashboard,  # GV005
    # PT: portability
    NotPortableToDialect,  # PT001
    # PE: inputs
    SqlParseError,  # PE001
    UnreadableInput,  # PE002
    # TL: suppressions (reported by the engine)
    SuppressionWithoutReason,  # TL001
    SuppressionOfUnknownRule,  # TL002
)

BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in RULES}

assert len(BY_CODE) == len(RULES), "two rules share a code"
