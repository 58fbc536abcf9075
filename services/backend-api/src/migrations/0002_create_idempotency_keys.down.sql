drop table if exists idempotency_keys;
