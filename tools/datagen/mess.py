"""The documented mess of Larkspur's raw data, as one table of named rates.

Every imperfection the warehouse has to cope with in *clean* data (that is, without
``--defects``) is listed here with its rate, so the generator, its tests and the README all
refer to the same numbers. Rates are probabilities per entity of the stated kind; where a
rate would round to zero at small scales, each generation block still gets at least
``MIN_PER_BLOCK`` occurrences (so scale 0.001 contains every item at least once).
"""

# Each fixed block of entities (see plan.py) contains at least this many of every rare item.
MIN_PER_BLOCK = 1

# --- shop.customers -------------------------------------------------------------------
TEST_ACCOUNT_RATE = 0.005  # account_type 'test', email qa+<id>@larkspur.test
INTERNAL_ACCOUNT_RATE = 0.003  # account_type 'internal', email @larkspurgoods.com
CUSTOMER_REDELIVERY_RATE = 0.03  # second row, same id, later updated_at/_loaded_at
NULL_PHONE_RATE = 0.35
NULL_POSTAL_CODE_RATE = 0.05
NULL_ACQUISITION_CHANNEL_RATE = 0.10
MARKETING_OPT_IN_RATE = 0.45

# --- shop.orders (CDC) -----------------------------------------------------------------
CANCELLED_RATE = 0.05  # of orders
CANCELLED_AFTER_PAID_SHARE = 0.25  # of cancelled orders; the rest are cancelled unpaid
RETURNED_RATE = 0.03  # of delivered orders, later 'returned'
SOFT_DELETE_RATE = 0.002  # final 'd' row with deleted_at
CDC_DUPLICATE_RATE = 0.02  # of CDC rows, delivered twice (exact duplicate)
MIXED_CURRENCY_RATE = 0.02  # order currency differs from the shipping country's
MONTH_END_RATE = 0.005  # placed in the last MONTH_END_WINDOW_MINUTES of a month, local time
MONTH_END_WINDOW_MINUTES = 30
FREE_SHIPPING_THRESHOLD_USD = 100.0  # items total (USD equivalent) at or above: no fee

# --- shop.order_items ------------------------------------------------------------------
ITEM_DUPLICATE_RATE = 0.005  # of lines, delivered twice (exact duplicate)
DISCOUNT_NULL_RATE = 0.70
DISCOUNT_SHARE_RANGE = (0.05, 0.30)  # of the line total, when there is a discount
LINES_PER_ORDER = {1: 0.30, 2: 0.27, 3: 0.20, 4: 0.12, 5: 0.07, 6: 0.04}  # mean 2.5
QUANTITY = {1: 0.62, 2: 0.24, 3: 0.09, 4: 0.05}

# --- payments.payments -----------------------------------------------------------------
FAILED_FIRST_ATTEMPT_RATE = 0.08  # of orders that get paid
UNPAID_CANCEL_FAILED_RATE = 0.40  # of orders cancelled before payment: one failed attempt
FAILED_METHOD_NULL_RATE = 0.30  # of failed attempts, method NULL
PAYMENT_METHODS = {"card": 0.65, "paypal": 0.20, "bank_transfer": 0.07, "gift_card": 0.08}
FAILURE_CODES = {
    "card_declined": 0.45, "insufficient_funds": 0.25, "expired_card": 0.12,
    "processing_error": 0.10, "fraud_suspected": 0.08,
}

# --- payments.refunds ------------------------------------------------------------------
# Cancelled-after-paid and returned orders get a full refund; PARTIAL_REFUND_RATE of the
# other delivered orders a partial one. Refunds come 1..REFUND_MAX_DAYS days after the order;
# "late" (more than LATE_REFUND_DAYS) is ~20% of all refunds.
PARTIAL_REFUND_RATE = 0.04
PARTIAL_REFUND_SHARE_RANGE = (0.10, 0.50)
PARTIAL_REFUND_LATE_SHARE = 0.25
LATE_REFUND_DAYS = 14
REFUND_MAX_DAYS = 60
REFUND_REASON_NULL_RATE = 0.20

# --- billing.subscriptions -------------------------------------------------------------
SUBSCRIBER_RATE = 0.12  # of customers
PLUS_PLAN_SHARE = 0.30
PAUSE_RATE = 0.12
RESUME_SHARE = 0.50  # of paused subscriptions
MONTHLY_CHURN = 0.04

# --- web.sessions / web.events ---------------------------------------------------------
BROWSE_SESSIONS_PER_ORDER = 2.0  # non-purchasing sessions per order
BROWSE_LOGGED_IN_SHARE = 0.35  # the rest are anonymous (customer_id NULL)
BROWSE_ADD_TO_CART_RATE = 0.20
BROWSE_CHECKOUT_RATE = 0.35  # of browse sessions that added to cart
DEVICES = {"desktop": 0.45, "mobile": 0.45, "tablet": 0.10}
# Traffic channel of a session; direct and organic carry no utm_* parameters.
TRAFFIC_CHANNELS = {
    "direct": 0.25, "organic": 0.25, "paid_search": 0.18, "paid_social": 0.10,
    "email": 0.10, "referral": 0.05, "affiliate": 0.04, "display": 0.03,
}

# --- _loaded_at ------------------------------------------------------------------------
# Rows land minutes to a day after the event; re-deliveries later. Never after the end of
# the delivery window they belong to (the base cut-off or the batch's end).
LOAD_DELAY_MEDIAN_SECONDS = 600
LOAD_DELAY_MAX_SECONDS = 86_400

# --- append batches --------------------------------------------------------------------
BATCH_SHARE = 0.01  # each `append` batch carries ~1% of the base volume
