-- The table PostgreSQL's documentation gives for loading csvlog files (PostgreSQL 15,
-- "Using CSV-Format Log Output"): a log sink in a database, as step 6's --pgaudit-sink reads
-- it with the default sink.* policy keys except sink.table = postgres_log.
--   \copy postgres_log FROM 'postgresql.csv' WITH csv
CREATE TABLE postgres_log (
  log_time timestamp(3) with time zone,
  user_name text,
  database_name text,
  process_id integer,
  connection_from text,
  session_id text,
  session_line_num bigint,
  command_tag text,
  session_start_time timestamp with time zone,
  virtual_transaction_id text,
  transaction_id bigint,
  error_severity text,
  sql_state_code text,
  message text,
  detail text,
  hint text,
  internal_query text,
  internal_query_pos integer,
  context text,
  query text,
  query_pos integer,
  location text,
  application_name text,
  backend_type text,
  leader_pid integer,
  query_id bigint
);
