"""The initial schema: users, login state, inbound events, articles, sources, chunks, chat."""

# Can the release before this one run on the migrated schema? (there is none)
PREVIOUS_RELEASE_RUNS = True

SQL = """
CREATE TABLE users (
  id bigserial PRIMARY KEY,
  email text NOT NULL UNIQUE CHECK (email = lower(email)),
  display_name text,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz
);
CREATE TABLE magic_link_tokens (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  token_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  ip text
);
CREATE TABLE sessions (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  token_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  user_agent text
);
CREATE TABLE inbound_events (
  id bigserial PRIMARY KEY,
  provider text NOT NULL DEFAULT 'mailersend',
  provider_message_id text NOT NULL UNIQUE,
  message_id text,
  sender text,
  subject text,
  raw_body bytea NOT NULL,
  status text NOT NULL DEFAULT 'received'
    CHECK (status IN ('received', 'processing', 'done', 'failed', 'rejected')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  article_id bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz
);
CREATE UNIQUE INDEX inbound_events_sender_message_id ON inbound_events (sender, message_id)
  WHERE message_id IS NOT NULL;
CREATE INDEX inbound_events_status ON inbound_events (status, updated_at);
CREATE TABLE articles (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  event_id bigint UNIQUE REFERENCES inbound_events ON DELETE SET NULL,
  title text NOT NULL,
  summary text NOT NULL DEFAULT '',
  content_text text NOT NULL DEFAULT '',
  category text NOT NULL DEFAULT 'other',
  tags text[] NOT NULL DEFAULT '{}',
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX articles_user_created ON articles (user_id, created_at DESC, id DESC);
CREATE TABLE sources (
  id bigserial PRIMARY KEY,
  article_id bigint NOT NULL REFERENCES articles ON DELETE CASCADE,
  type text NOT NULL CHECK (type IN ('email', 'pdf', 'html', 'text')),
  name text NOT NULL DEFAULT '',
  path text,
  content_type text,
  size integer NOT NULL DEFAULT 0,
  raw_text text NOT NULL DEFAULT '',
  error text,
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sources_article ON sources (article_id);
CREATE TABLE chunks (
  id bigserial PRIMARY KEY,
  article_id bigint NOT NULL REFERENCES articles ON DELETE CASCADE,
  user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  idx integer NOT NULL,
  content text NOT NULL,
  embedding vector({dims}),
  tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED,
  metadata jsonb NOT NULL DEFAULT '{{}}',
  UNIQUE (article_id, idx)
);
CREATE INDEX chunks_user ON chunks (user_id);
CREATE INDEX chunks_embedding_hnsw ON chunks USING hnsw (embedding vector_cosine_ops);
CREATE INDEX chunks_tsv_gin ON chunks USING gin (tsv);
CREATE TABLE conversations (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  title text NOT NULL DEFAULT 'New conversation',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversations_user ON conversations (user_id, updated_at DESC);
CREATE TABLE messages (
  id bigserial PRIMARY KEY,
  conversation_id bigint NOT NULL REFERENCES conversations ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('user', 'assistant')),
  content text NOT NULL,
  citations jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);
"""


def up(db, ctx):
    db.execute_sql(SQL.replace("{dims}", str(int(ctx["dimensions"]))).replace("{{}}", "{}"))
