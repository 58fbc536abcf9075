-- The first answer to each Idempotency-Key, replayed verbatim on retries.
create table idempotency_keys (
  key          text primary key,
  request_hash text not null,
  status_code  integer not null,
  location     text,
  etag         text,
  body         text not null,
  created_at   timestamptz not null default clock_timestamp()
);

create index idempotency_keys_created_at on idempotency_keys (created_at);
