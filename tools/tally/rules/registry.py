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
from tally.rules.documentation.undocumented_model import UndocumentedModel
from tally.rules.documentation.undocumented_public_model import UndocumentedPublicModel
from tally.rules.documentation.undocumented_source import UndocumentedSource
from tally.rules.fanout.aggregate_after_fanout import AggregateAfterFanout
from tally.rules.governance.dashboard_reads_non_public_relation import DashboardReadsNonPublicRelation
from tally.rules.governance.exposure_depends_on_private_model import ExposureDependsOnPrivateModel
from tally.rules.governance.personal_data_in_public_model import PersonalDataInPublicModel
from tally.rules.governance.personal_data_on_dashboard import PersonalDataOnDashboard
from tally.rules.governance.public_model_without_contract import PublicModelWithoutContract
from tally.rules.inputs.sql_parse_error import SqlParseError
from tally.rules.inputs.unanalysable_query import UnanalysableQuery
from tally.rules.inputs.unreadable_input import UnreadableInput
from tally.rules.meta.suppressions import SuppressionOfUnknownRule, SuppressionWithoutReason
from tally.rules.modeling.chained_views import ChainedViews
from tally.rules.modeling.direct_join_to_source import DirectJoinToSource
from tally.rules.modeling.hard_coded_relation import HardCodedRelation
from tally.rules.modeling.multiple_sources_joined import MultipleSourcesJoined
from tally.rules.modeling.rejoining_upstream_concepts import RejoiningUpstreamConcepts
from tally.rules.modeling.root_model import RootModel
from tally.rules.modeling.source_fanout import SourceFanout
from tally.rules.modeling.source_read_outside_staging import SourceReadOutsideStaging
from tally.rules.modeling.staging_depends_on_downstream import StagingDependsOnDownstream
from tally.rules.modeling.staging_depends_on_staging import StagingDependsOnStaging
from tally.rules.modeling.too_many_joins import TooManyJoins
from tally.rules.modeling.unused_source import UnusedSource
from tally.rules.portability.not_portable_to_dialect import NotPortableToDialect
from tally.rules.structure.model_directory import ModelDirectory
from tally.rules.structure.model_naming_convention import ModelNamingConvention
from tally.rules.structure.source_directory import SourceDirectory
from tally.rules.structure.test_directory import TestDirectory
from tally.rules.testing.missing_primary_key_test import MissingPrimaryKeyTest
from tally.rules.testing.source_without_freshness import SourceWithoutFreshness

FAMILIES = {
    "MC": "metric conformance: dashboards compute metrics as the semantic layer defines them",
    "FO": "fan-out: aggregates over rows a join has duplicated",
    "CQ": "consistency: one name, one definition, across dashboards and metrics",
    "MD": "modeling: the DAG's shape: sources staged once, layers read in order, no hidden edges",
    "TS": "testing: proven primary keys and source freshness",
    "DC": "documentation: models, public columns and sources say what they are",
    "ST": "structure: names, folders and layers agree; YAML sits beside what it describes",
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
    # MD: modeling (from the manifest)
    DirectJoinToSource,  # MD001
    SourceReadOutsideStaging,  # MD002
    StagingDependsOnDownstream,  # MD003
    StagingDependsOnStaging,  # MD004
    RootModel,  # MD005
    SourceFanout,  # MD006
    MultipleSourcesJoined,  # MD007
    RejoiningUpstreamConcepts,  # MD008
    HardCodedRelation,  # MD009
    TooManyJoins,  # MD010
    ChainedViews,  # MD011
    UnusedSource,  # MD012
    # TS: testing
    MissingPrimaryKeyTest,  # TS001
    SourceWithoutFreshness,  # TS002
    # DC: documentation
    UndocumentedPublicModel,  # DC001
    UndocumentedModel,  # DC002
    UndocumentedSource,  # DC003
    # ST: structure
    ModelNamingConvention,  # ST001
    ModelDirectory,  # ST002
    SourceDirectory,  # ST003
    TestDirectory,  # ST004
    # GV: governance (public interfaces and personal data)
    PublicModelWithoutContract,  # GV001
    DashboardReadsNonPublicRelation,  # GV002
    PersonalDataInPublicModel,  # GV003
    ExposureDependsOnPrivateModel,  # GV004
    PersonalDataOnDashboard,  # GV005
    # PT: portability
    NotPortableToDialect,  # PT001
    # PE: inputs
    SqlParseError,  # PE001
    UnreadableInput,  # PE002
    UnanalysableQuery,  # PE003
    # TL: suppressions (reported by the engine)
    SuppressionWithoutReason,  # TL001
    SuppressionOfUnknownRule,  # TL002
)

BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in RULES}

assert len(BY_CODE) == len(RULES), "two rules share a code"
