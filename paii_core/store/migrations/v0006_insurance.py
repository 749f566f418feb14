"""Migration 6: underwriters' review decisions on policies (user data, an audit trail)."""

VERSION = 6
NAME = "insurance review decisions"
STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE review_decisions (
        decision_id BIGINT PRIMARY KEY, policy_id TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('approve', 'refer', 'reject')),
        note TEXT NOT NULL DEFAULT '', reviewer TEXT NOT NULL,
        decided_at TIMESTAMP NOT NULL, evidence TEXT NOT NULL, simulated BOOLEAN NOT NULL)""",
)
