"""Every statement the Oracle adapter sends: constant text, values only through bind variables.

Written in the subset of SQL that Oracle (11.2+) and SQLite both accept, so the EBS simulator
runs these very statements: ANSI joins, table aliases without AS, inline views, scalar
subqueries, `:name` binds, and only the built-ins GREATEST and NVL (the simulator registers them)
and SYSDATE (the simulator's one textual translation). No row-limiting clause: a page is
`fetchmany(page_size + 1)` on an ordered keyset query, which also works on 11g.

Change stamps are LAST_UPDATE_DATE (an EBS WHO column, DATE: second precision, the database's
time zone). A record assembled from several tables is stamped with the latest of them
(GREATEST), so an edit to any of its parts is a change of the record. Pages are keyset pages in
(CHANGED_AT, ROW_KEY) order, ROW_KEY being the numeric primary key (never a VARCHAR2, whose
ORDER BY follows NLS_SORT and could disagree with `>`).
"""

from __future__ import annotations

# --- the keyset: every change query ends with this (bound: since, after_at, after_key) ---------

_KEYSET = """
 WHERE q.CHANGED_AT >= :since
   AND (q.CHANGED_AT > :after_at OR (q.CHANGED_AT = :after_at AND q.ROW_KEY > :after_key))"""

_KEYSET_ALL = """
 WHERE q.ROW_KEY > :after_key"""
"""A full sweep (no cursor yet) pages by primary key only: an index range scan per page instead of
computing and sorting every record's CHANGED_AT for each page. An edit during it does not move a
record in this order, and the next sweep (since the first page's clock) reads it again."""

_IN_OPERATING_UNIT = """
   AND EXISTS (SELECT 1 FROM HZ_CUST_ACCT_SITES_ALL s
                WHERE s.CUST_ACCOUNT_ID = ca.CUST_ACCOUNT_ID AND s.ORG_ID = :org_id AND s.STATUS = 'A')"""

_CUSTOMERS_BASE = (
    """
SELECT q.* FROM (
  SELECT ca.CUST_ACCOUNT_ID AS ROW_KEY,
         GREATEST(ca.LAST_UPDATE_DATE, p.LAST_UPDATE_DATE,
                  NVL(prof.LAST_UPDATE_DATE, ca.LAST_UPDATE_DATE),
                  NVL((SELECT MAX(a.LAST_UPDATE_DATE) FROM HZ_CUST_PROFILE_AMTS a
                        WHERE a.CUST_ACCOUNT_PROFILE_ID = prof.CUST_ACCOUNT_PROFILE_ID), ca.LAST_UPDATE_DATE),
                  NVL((SELECT MAX(r.LAST_UPDATE_DATE) FROM HZ_CUST_ACCT_RELATE_ALL r
                        WHERE r.CUST_ACCOUNT_ID = ca.CUST_ACCOUNT_ID AND r.ORG_ID = :org_id), ca.LAST_UPDATE_DATE)
         ) AS CHANGED_AT,
         ca.OBJECT_VERSION_NUMBER AS ACCOUNT_VERSION,
         p.OBJECT_VERSION_NUMBER AS PARTY_VERSION,
         ca.ACCOUNT_NUMBER,
         p.PARTY_NAME,
         p.JGZZ_FISCAL_CODE,
         tl.DUE_DAYS,
         (SELECT a.CURRENCY_CODE FROM HZ_CUST_PROFILE_AMTS a
           WHERE a.CUST_ACCT_PROFILE_AMT_ID = (SELECT MIN(b.CUST_ACCT_PROFILE_AMT_ID) FROM HZ_CUST_PROFILE_AMTS b
                                                WHERE b.CUST_ACCOUNT_PROFILE_ID = prof.CUST_ACCOUNT_PROFILE_ID)
         ) AS FIRST_CURRENCY,
         (SELECT MIN(b.CURRENCY_CODE) FROM HZ_CUST_PROFILE_AMTS b
           WHERE b.CUST_ACCOUNT_PROFILE_ID = prof.CUST_ACCOUNT_PROFILE_ID AND b.CURRENCY_CODE = :preferred_currency
         ) AS PREFERRED_CURRENCY,
         (SELECT MIN(pa.ACCOUNT_NUMBER) FROM HZ_CUST_ACCT_RELATE_ALL r
            JOIN HZ_CUST_ACCOUNTS pa ON pa.CUST_ACCOUNT_ID = r.RELATED_CUST_ACCOUNT_ID
           WHERE r.CUST_ACCOUNT_ID = ca.CUST_ACCOUNT_ID AND r.ORG_ID = :org_id AND r.STATUS = 'A'
         ) AS PARENT_ACCOUNT_NUMBER
    FROM HZ_CUST_ACCOUNTS ca
    JOIN HZ_PARTIES p ON p.PARTY_ID = ca.PARTY_ID
    LEFT JOIN HZ_CUSTOMER_PROFILES prof ON prof.CUST_ACCOUNT_ID = ca.CUST_ACCOUNT_ID AND prof.SITE_USE_ID IS NULL
    LEFT JOIN RA_TERMS_LINES tl ON tl.TERM_ID = prof.STANDARD_TERMS AND tl.SEQUENCE_NUM = 1
   WHERE 1 = 1"""
    + _IN_OPERATING_UNIT
    + """
) q"""
)

CUSTOMERS = _CUSTOMERS_BASE + _KEYSET + """
 ORDER BY q.CHANGED_AT, q.ROW_KEY"""

CUSTOMERS_ALL = _CUSTOMERS_BASE + _KEYSET_ALL + """
 ORDER BY q.ROW_KEY"""

_PROFILES_BASE = (
    """
SELECT q.*, amt.CUST_ACCT_PROFILE_AMT_ID, amt.CURRENCY_CODE, amt.OVERALL_CREDIT_LIMIT, amt.TRX_CREDIT_LIMIT,
       amt.OBJECT_VERSION_NUMBER AS AMOUNT_VERSION
  FROM (
  SELECT ca.CUST_ACCOUNT_ID AS ROW_KEY,
         GREATEST(prof.LAST_UPDATE_DATE,
                  NVL((SELECT MAX(a.LAST_UPDATE_DATE) FROM HZ_CUST_PROFILE_AMTS a
                        WHERE a.CUST_ACCOUNT_PROFILE_ID = prof.CUST_ACCOUNT_PROFILE_ID), prof.LAST_UPDATE_DATE)
         ) AS CHANGED_AT,
         ca.ACCOUNT_NUMBER,
         prof.CUST_ACCOUNT_PROFILE_ID,
         prof.OBJECT_VERSION_NUMBER AS PROFILE_VERSION,
         prof.CREDIT_HOLD,
         prof.CREDIT_CHECKING,
         prof.RISK_CODE,
         prof.NEXT_CREDIT_REVIEW_DATE
    FROM HZ_CUST_ACCOUNTS ca
    JOIN HZ_CUSTOMER_PROFILES prof ON prof.CUST_ACCOUNT_ID = ca.CUST_ACCOUNT_ID AND prof.SITE_USE_ID IS NULL
   WHERE 1 = 1"""
    + _IN_OPERATING_UNIT
    + """
) q
  LEFT JOIN HZ_CUST_PROFILE_AMTS amt ON amt.CUST_ACCOUNT_PROFILE_ID = q.CUST_ACCOUNT_PROFILE_ID"""
)

CREDIT_PROFILES = (
    _PROFILES_BASE
    + _KEYSET
    + """
 ORDER BY q.CHANGED_AT, q.ROW_KEY, amt.CUST_ACCT_PROFILE_AMT_ID"""
)

CREDIT_PROFILES_ALL = _PROFILES_BASE + _KEYSET_ALL + """
 ORDER BY q.ROW_KEY, amt.CUST_ACCT_PROFILE_AMT_ID"""

CREDIT_PROFILE_OF_ACCOUNT = (
    _PROFILES_BASE
    + """
 WHERE q.ACCOUNT_NUMBER = :account_number
 ORDER BY amt.CUST_ACCT_PROFILE_AMT_ID"""
)

_OPEN_ITEMS_BASE = """
SELECT q.* FROM (
  SELECT ps.PAYMENT_SCHEDULE_ID AS ROW_KEY,
         ps.LAST_UPDATE_DATE AS CHANGED_AT,
         ps.TRX_NUMBER,
         ps.TERMS_SEQUENCE_NUMBER,
         ps.CLASS,
         ca.ACCOUNT_NUMBER,
         ps.TRX_DATE,
         ps.DUE_DATE,
         ps.AMOUNT_DUE_ORIGINAL,
         ps.AMOUNT_DUE_REMAINING,
         ps.INVOICE_CURRENCY_CODE,
         ps.STATUS,
         trx.PURCHASE_ORDER
    FROM AR_PAYMENT_SCHEDULES_ALL ps
    JOIN RA_CUSTOMER_TRX_ALL trx ON trx.CUSTOMER_TRX_ID = ps.CUSTOMER_TRX_ID
    JOIN HZ_CUST_ACCOUNTS ca ON ca.CUST_ACCOUNT_ID = ps.CUSTOMER_ID
   WHERE ps.ORG_ID = :org_id
     AND ps.CLASS IN ('INV', 'DM', 'CM', 'CB')
) q"""

OPEN_ITEMS = _OPEN_ITEMS_BASE + _KEYSET + """
 ORDER BY q.CHANGED_AT, q.ROW_KEY"""

OPEN_ITEMS_ALL = _OPEN_ITEMS_BASE + _KEYSET_ALL + """
 ORDER BY q.ROW_KEY"""

_PAYMENTS_SELECT = """
SELECT q.*, ra.RECEIVABLE_APPLICATION_ID, ra.AMOUNT_APPLIED, ra.APPLY_DATE, aps.TRX_NUMBER AS APPLIED_TRX_NUMBER,
       aps.TERMS_SEQUENCE_NUMBER AS APPLIED_INSTALLMENT
  FROM (
  SELECT cr.CASH_RECEIPT_ID AS ROW_KEY,
         GREATEST(cr.LAST_UPDATE_DATE,
                  NVL((SELECT MAX(x.LAST_UPDATE_DATE) FROM AR_RECEIVABLE_APPLICATIONS_ALL x
                        WHERE x.CASH_RECEIPT_ID = cr.CASH_RECEIPT_ID), cr.LAST_UPDATE_DATE)
         ) AS CHANGED_AT,
         cr.RECEIPT_NUMBER,
         ca.ACCOUNT_NUMBER,
         cr.RECEIPT_DATE,
         cr.AMOUNT,
         cr.CURRENCY_CODE,
         cr.COMMENTS,
         cr.STATUS
    FROM AR_CASH_RECEIPTS_ALL cr
    JOIN HZ_CUST_ACCOUNTS ca ON ca.CUST_ACCOUNT_ID = cr.PAY_FROM_CUSTOMER
   WHERE cr.ORG_ID = :org_id
     AND cr.TYPE = 'CASH'"""

_PAYMENTS_CHANGED_SINCE = """
     AND cr.CASH_RECEIPT_ID IN (SELECT c.CASH_RECEIPT_ID FROM AR_CASH_RECEIPTS_ALL c WHERE c.LAST_UPDATE_DATE >= :since
                                UNION
                                SELECT x.CASH_RECEIPT_ID FROM AR_RECEIVABLE_APPLICATIONS_ALL x
                                 WHERE x.LAST_UPDATE_DATE >= :since)"""
"""A receipt changed when it or one of its applications did."""

_PAYMENTS_APPLICATIONS = """
) q
  LEFT JOIN AR_RECEIVABLE_APPLICATIONS_ALL ra
         ON ra.CASH_RECEIPT_ID = q.ROW_KEY AND ra.STATUS = 'APP' AND ra.DISPLAY = 'Y'
  LEFT JOIN AR_PAYMENT_SCHEDULES_ALL aps ON aps.PAYMENT_SCHEDULE_ID = ra.APPLIED_PAYMENT_SCHEDULE_ID"""

_PAYMENTS_BASE = _PAYMENTS_SELECT + _PAYMENTS_APPLICATIONS
_PAYMENT_CHANGES_BASE = _PAYMENTS_SELECT + _PAYMENTS_CHANGED_SINCE + _PAYMENTS_APPLICATIONS

PAYMENTS = _PAYMENT_CHANGES_BASE + _KEYSET + """
 ORDER BY q.CHANGED_AT, q.ROW_KEY, ra.RECEIVABLE_APPLICATION_ID"""

PAYMENTS_ALL = _PAYMENTS_BASE + _KEYSET_ALL + """
 ORDER BY q.ROW_KEY, ra.RECEIVABLE_APPLICATION_ID"""

_ORDERS_SELECT = """
SELECT q.*, ln.LINE_ID, ln.ORDERED_QUANTITY, ln.UNIT_SELLING_PRICE
  FROM (
  SELECT h.HEADER_ID AS ROW_KEY,
         GREATEST(h.LAST_UPDATE_DATE,
                  NVL((SELECT MAX(l.LAST_UPDATE_DATE) FROM OE_ORDER_LINES_ALL l
                        WHERE l.HEADER_ID = h.HEADER_ID), h.LAST_UPDATE_DATE)
         ) AS CHANGED_AT,
         h.ORDER_NUMBER,
         ca.ACCOUNT_NUMBER,
         h.ORDERED_DATE,
         h.TRANSACTIONAL_CURR_CODE,
         h.FLOW_STATUS_CODE
    FROM OE_ORDER_HEADERS_ALL h
    JOIN HZ_CUST_ACCOUNTS ca ON ca.CUST_ACCOUNT_ID = h.SOLD_TO_ORG_ID
   WHERE h.ORG_ID = :org_id"""

_ORDERS_CHANGED_SINCE = """
     AND h.HEADER_ID IN (SELECT c.HEADER_ID FROM OE_ORDER_HEADERS_ALL c WHERE c.LAST_UPDATE_DATE >= :since
                         UNION
                         SELECT l.HEADER_ID FROM OE_ORDER_LINES_ALL l WHERE l.LAST_UPDATE_DATE >= :since)"""
"""An order changed when its header or one of its lines did."""

_ORDER_LINES = """
) q
  LEFT JOIN OE_ORDER_LINES_ALL ln ON ln.HEADER_ID = q.ROW_KEY AND NVL(ln.CANCELLED_FLAG, 'N') = 'N'"""

_ORDERS_BASE = _ORDERS_SELECT + _ORDER_LINES
_ORDER_CHANGES_BASE = _ORDERS_SELECT + _ORDERS_CHANGED_SINCE + _ORDER_LINES

ORDERS = _ORDER_CHANGES_BASE + _KEYSET + """
 ORDER BY q.CHANGED_AT, q.ROW_KEY, ln.LINE_ID"""

ORDERS_ALL = _ORDERS_BASE + _KEYSET_ALL + """
 ORDER BY q.ROW_KEY, ln.LINE_ID"""

DATABASE_CLOCK = "SELECT SYSDATE FROM DUAL"

# --- write-back -------------------------------------------------------------------------------

ACCOUNT_ID = "SELECT ca.CUST_ACCOUNT_ID FROM HZ_CUST_ACCOUNTS ca WHERE ca.ACCOUNT_NUMBER = :account_number"

SEEN_KEY = "SELECT k.ERP_REFERENCE FROM XXCB_WRITEBACK_KEYS k WHERE k.IDEMPOTENCY_KEY = :idempotency_key"

RECORD_KEY = """
INSERT INTO XXCB_WRITEBACK_KEYS (IDEMPOTENCY_KEY, CUST_ACCOUNT_ID, ERP_REFERENCE, CREATION_DATE)
VALUES (:idempotency_key, :cust_account_id, :erp_reference, SYSDATE)"""

APPS_INITIALIZE = """
BEGIN
  FND_GLOBAL.APPS_INITIALIZE(user_id => :user_id, resp_id => :resp_id, resp_appl_id => :resp_appl_id);
  MO_GLOBAL.INIT('AR');
  MO_GLOBAL.SET_POLICY_CONTEXT('S', :org_id);
END;"""

_COLLECT_MESSAGES = """
  :return_status := l_status;
  :msg_count := l_count;
  FOR i IN 1 .. NVL(l_count, 0) LOOP
    FND_MESSAGE.PARSE_ENCODED(FND_MSG_PUB.GET(p_msg_index => i, p_encoded => FND_API.G_TRUE), l_app, l_name);
    l_names := SUBSTR(l_names || l_name || CHR(10), 1, 4000);
    l_messages := SUBSTR(l_messages || FND_MSG_PUB.GET(p_msg_index => i, p_encoded => FND_API.G_FALSE) || CHR(10),
                         1, 32000);
  END LOOP;
  :message_names := l_names;
  :messages := l_messages;
END;"""

_MESSAGE_LOCALS = """
  l_status VARCHAR2(1);
  l_count NUMBER;
  l_data VARCHAR2(4000);
  l_messages VARCHAR2(32767);
  l_names VARCHAR2(4000);
  l_app VARCHAR2(50);
  l_name VARCHAR2(30);
BEGIN"""
"""What every API block declares for its status and the messages `_COLLECT_MESSAGES` gathers, and BEGIN."""

UPDATE_PROFILE_AMOUNT = (
    """
DECLARE
  l_rec HZ_CUSTOMER_PROFILE_V2PUB.CUST_PROFILE_AMT_REC_TYPE;
  l_ovn NUMBER := :object_version_number;"""
    + _MESSAGE_LOCALS
    + """
  l_rec.cust_acct_profile_amt_id := :profile_amt_id;
  IF :clear_limit = 'Y' THEN
    l_rec.overall_credit_limit := FND_API.G_MISS_NUM;
  ELSE
    l_rec.overall_credit_limit := :overall_credit_limit;
  END IF;
  HZ_CUSTOMER_PROFILE_V2PUB.UPDATE_CUST_PROFILE_AMT(
    p_init_msg_list => FND_API.G_TRUE,
    p_cust_profile_amt_rec => l_rec,
    p_object_version_number => l_ovn,
    x_return_status => l_status,
    x_msg_count => l_count,
    x_msg_data => l_data);
  :new_version := l_ovn;"""
    + _COLLECT_MESSAGES
)

CREATE_PROFILE_AMOUNT = (
    """
DECLARE
  l_rec HZ_CUSTOMER_PROFILE_V2PUB.CUST_PROFILE_AMT_REC_TYPE;
  l_id NUMBER;"""
    + _MESSAGE_LOCALS
    + """
  l_rec.cust_account_profile_id := :profile_id;
  l_rec.cust_account_id := :cust_account_id;
  l_rec.currency_code := :currency_code;
  l_rec.overall_credit_limit := :overall_credit_limit;
  l_rec.created_by_module := 'TCA_V2_API';
  HZ_CUSTOMER_PROFILE_V2PUB.CREATE_CUST_PROFILE_AMT(
    p_init_msg_list => FND_API.G_TRUE,
    p_check_foreign_key => FND_API.G_TRUE,
    p_cust_profile_amt_rec => l_rec,
    x_cust_acct_profile_amt_id => l_id,
    x_return_status => l_status,
    x_msg_count => l_count,
    x_msg_data => l_data);
  :new_id := l_id;"""
    + _COLLECT_MESSAGES
)

UPDATE_CREDIT_HOLD = (
    """
DECLARE
  l_rec HZ_CUSTOMER_PROFILE_V2PUB.CUSTOMER_PROFILE_REC_TYPE;
  l_ovn NUMBER := :object_version_number;"""
    + _MESSAGE_LOCALS
    + """
  l_rec.cust_account_profile_id := :profile_id;
  l_rec.credit_hold := :credit_hold;
  HZ_CUSTOMER_PROFILE_V2PUB.UPDATE_CUSTOMER_PROFILE(
    p_init_msg_list => FND_API.G_TRUE,
    p_customer_profile_rec => l_rec,
    p_object_version_number => l_ovn,
    x_return_status => l_status,
    x_msg_count => l_count,
    x_msg_data => l_data);
  :new_version := l_ovn;"""
    + _COLLECT_MESSAGES
)

_API_LOCALS = """
DECLARE
  l_id NUMBER;""" + _MESSAGE_LOCALS

CREATE_CASH = (
    _API_LOCALS
    + """
  AR_RECEIPT_API_PUB.CREATE_CASH(
    p_api_version => 1.0,
    p_init_msg_list => FND_API.G_TRUE,
    p_commit => FND_API.G_FALSE,
    p_validation_level => FND_API.G_VALID_LEVEL_FULL,
    x_return_status => l_status,
    x_msg_count => l_count,
    x_msg_data => l_data,
    p_currency_code => :currency_code,
    p_amount => :amount,
    p_receipt_number => :receipt_number,
    p_receipt_date => :receipt_date,
    p_gl_date => :gl_date,
    p_customer_number => :customer_number,
    p_receipt_method_id => :receipt_method_id,
    p_comments => :comments,
    p_org_id => :org_id,
    p_cr_id => l_id);
  :new_id := l_id;"""
    + _COLLECT_MESSAGES
)

APPLY_CASH = (
    _API_LOCALS
    + """
  AR_RECEIPT_API_PUB.APPLY(
    p_api_version => 1.0,
    p_init_msg_list => FND_API.G_TRUE,
    p_commit => FND_API.G_FALSE,
    p_validation_level => FND_API.G_VALID_LEVEL_FULL,
    x_return_status => l_status,
    x_msg_count => l_count,
    x_msg_data => l_data,
    p_cash_receipt_id => :cash_receipt_id,
    p_trx_number => :trx_number,
    p_installment => :installment,
    p_amount_applied => :amount_applied,
    p_apply_date => :apply_date,
    p_apply_gl_date => :apply_gl_date,
    p_org_id => :org_id);
  :new_id := l_id;"""
    + _COLLECT_MESSAGES
)

ALL_STATEMENTS: dict[str, str] = {
    name: value for name, value in dict(globals()).items() if name.isupper() and isinstance(value, str)
}
"""Every statement by name (the bind-variable test scans these)."""
