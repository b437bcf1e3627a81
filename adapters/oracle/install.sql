-- creditbridge: the one object it needs in the EBS database besides grants (run once as the custom schema).
-- A write-back inserts its idempotency key here in the same transaction as the TCA API calls, so a
-- resend after a crash or a lost answer finds the key and does not apply the change twice.
CREATE TABLE XXCB_WRITEBACK_KEYS (
  IDEMPOTENCY_KEY   VARCHAR2(200) NOT NULL PRIMARY KEY,
  CUST_ACCOUNT_ID   NUMBER        NOT NULL,
  ERP_REFERENCE     VARCHAR2(400) NOT NULL,
  CREATION_DATE     DATE          NOT NULL
);
-- Grants the creditbridge database user needs (replace XXCB_USER):
--   SELECT on HZ_PARTIES, HZ_CUST_ACCOUNTS, HZ_CUST_ACCT_SITES_ALL, HZ_CUST_ACCT_RELATE_ALL,
--     HZ_CUSTOMER_PROFILES, HZ_CUST_PROFILE_AMTS, RA_TERMS_LINES, RA_CUSTOMER_TRX_ALL,
--     AR_PAYMENT_SCHEDULES_ALL, AR_CASH_RECEIPTS_ALL, AR_RECEIVABLE_APPLICATIONS_ALL,
--     OE_ORDER_HEADERS_ALL, OE_ORDER_LINES_ALL
--   EXECUTE on HZ_CUSTOMER_PROFILE_V2PUB, FND_GLOBAL, MO_GLOBAL, FND_MSG_PUB, FND_API
--   SELECT, INSERT on XXCB_WRITEBACK_KEYS
