"""The raw-data contract: what Larkspur's operational systems deliver, table by table.

This module is the single definition shared by the generator (which writes these tables as
Parquet) and the dbt sources (which read them). Column names and types are the ones the
source systems use, deliberately not the warehouse's conventions: staging renames them.

Conventions of the raw data, as operational systems deliver it:

* money is an integer count of the currency's minor units (`*_minor`), except ad spend,
  which the ad platforms report in micros of the local currency (`spend_micros`);
* shop timestamps are local wall-clock times with an IANA `time_zone` column beside them;
  payment, billing and web timestamps are UTC;
* `_loaded_at` (UTC) is when the row reached the lake; CDC tables add `_cdc_lsn` (a
  monotonically increasing log position) and `_cdc_op` (`c` create, `u` update, `d` delete).

>>> sorted(TABLES)[:3]
['billing.subscriptions', 'marketing.ad_spend', 'payments.payments']
>>> TABLES["shop.orders"].key
'id'
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

# The reporting window of the default data set. Fixed, so the same seed and scale always
# produce the same rows; `--append` batches continue after END_DATE.
START_DATE = "2023-01-01"
END_DATE = "2025-12-31"


@dataclass(frozen=True)
class RawTable:
    """One raw table: where it lives, its primary key and its Arrow schema."""

    source: str
    name: str
    key: str
    schema: pa.Schema
    description: str

    @property
    def qualified(self) -> str:
        return f"{self.source}.{self.name}"

    def path(self, root: str) -> str:
        """Folder that holds this table's Parquet files (one file per batch or chunk)."""
        return f"{root}/{self.source}/{self.name}"


def _table(source: str, name: str, key: str, description: str, *fields: tuple[str, pa.DataType]) -> RawTable:
    return RawTable(source, name, key, pa.schema(list(fields)), description)


TS = pa.timestamp("us")
LOADED = ("_loaded_at", TS)

_TABLE_LIST = [
    _table(
        "shop", "customers", "id",
        "Customer accounts, including internal and test accounts. Re-delivered on profile changes.",
        ("id", pa.int64()),
        ("email", pa.string()),
        ("full_name", pa.string()),
        ("phone", pa.string()),
        ("address_line1", pa.string()),
        ("city", pa.string()),
        ("postal_code", pa.string()),
        ("country", pa.string()),
        ("account_type", pa.string()),  # customer | internal | test
        ("acquisition_channel", pa.string()),  # first-touch channel, NULL when unknown
        ("marketing_opt_in", pa.bool_()),
        ("created_at", TS),  # local time
        ("time_zone", pa.string()),
        ("updated_at", TS),  # local time
        LOADED,
    ),
    _table(
        "shop", "orders", "id",
        "Order header, captured by CDC: one row per change, so an order appears once per status.",
        ("id", pa.int64()),
        ("customer_id", pa.int64()),
        ("status", pa.string()),  # placed | paid | shipped | delivered | cancelled | returned
        ("currency", pa.string()),
        ("shipping_country", pa.string()),
        ("shipping_fee_minor", pa.int64()),
        ("placed_at", TS),  # local time
        ("updated_at", TS),  # local time
        ("time_zone", pa.string()),
        ("deleted_at", TS),  # soft delete, local time, NULL while the order exists
        ("_cdc_lsn", pa.int64()),
        ("_cdc_op", pa.string()),
        LOADED,
    ),
    _table(
        "shop", "order_items", "id",
        "Order lines in the order's currency. Occasionally delivered twice.",
        ("id", pa.int64()),
        ("order_id", pa.int64()),
        ("product_id", pa.int64()),
        ("quantity", pa.int32()),
        ("unit_price_minor", pa.int64()),
        ("discount_minor", pa.int64()),  # whole-line discount, NULL when none
        LOADED,
    ),
    _table(
        "shop", "products", "id",
        "Product catalogue.",
        ("id", pa.int64()),
        ("sku", pa.string()),
        ("name", pa.string()),
        ("category", pa.string()),
        ("is_active", pa.bool_()),
        ("created_at", TS),  # UTC
        LOADED,
    ),
    _table(
        "shop", "product_prices", "id",
        "List-price history in USD: one row per product and validity interval.",
        ("id", pa.int64()),
        ("product_id", pa.int64()),
        ("currency", pa.string()),
        ("list_price_minor", pa.int64()),
        ("valid_from", TS),  # UTC
        ("valid_to", TS),  # UTC, NULL for the current price
        LOADED,
    ),
    _table(
        "payments", "payments", "id",
        "Payment attempts from the payment processor, failed and successful.",
        ("id", pa.int64()),
        ("order_id", pa.int64()),
        ("amount_minor", pa.int64()),
        ("currency", pa.string()),
        ("method", pa.string()),  # card | paypal | bank_transfer | gift_card, NULL on some failures
        ("status", pa.string()),  # succeeded | failed
        ("failure_code", pa.string()),
        ("attempted_at", TS),  # UTC
        LOADED,
    ),
    _table(
        "payments", "refunds", "id",
        "Refunds against a successful payment: partial or full, days to weeks after the order.",
        ("id", pa.int64()),
        ("payment_id", pa.int64()),
        ("amount_minor", pa.int64()),
        ("currency", pa.string()),
        ("reason", pa.string()),
        ("created_at", TS),  # UTC
        LOADED,
    ),
    _table(
        "billing", "subscriptions", "id",
        "Monthly subscription plans, one row per subscription in its latest state.",
        ("id", pa.int64()),
        ("customer_id", pa.int64()),
        ("plan", pa.string()),  # basic | plus
        ("price_minor", pa.int64()),  # per month, in `currency`
        ("currency", pa.string()),
        ("started_at", TS),  # UTC
        ("paused_at", TS),
        ("resumed_at", TS),
        ("cancelled_at", TS),
        LOADED,
    ),
    _table(
        "web", "sessions", "id",
        "Website sessions from the analytics collector.",
        ("id", pa.int64()),
        ("anonymous_id", pa.string()),
        ("customer_id", pa.int64()),  # NULL while logged out
        ("started_at", TS),  # UTC
        ("device", pa.string()),
        ("utm_source", pa.string()),
        ("utm_medium", pa.string()),
        ("utm_campaign", pa.string()),
        ("country", pa.string()),
        ("landing_path", pa.string()),
        LOADED,
    ),
    _table(
        "web", "events", "id",
        "Tracked events inside sessions. The largest table.",
        ("id", pa.int64()),
        ("session_id", pa.int64()),
        ("event_type", pa.string()),  # page_view | add_to_cart | checkout | purchase
        ("occurred_at", TS),  # UTC
        ("page_path", pa.string()),
        ("product_id", pa.int64()),
        ("order_id", pa.int64()),  # set on purchase events
        LOADED,
    ),
    _table(
        "marketing", "ad_spend", "id",
        "Daily spend per campaign and country from the ad platforms, in local currency micros.",
        ("id", pa.int64()),
        ("date", pa.date32()),
        ("channel", pa.string()),  # paid_search | paid_social | display | affiliate
        ("campaign_id", pa.string()),
        ("campaign_name", pa.string()),
        ("country", pa.string()),
        ("currency", pa.string()),
        ("spend_micros", pa.int64()),
        ("impressions", pa.int64()),
        ("clicks", pa.int64()),
        LOADED,
    ),
]

TABLES: dict[str, RawTable] = {t.qualified: t for t in _TABLE_LIST}
