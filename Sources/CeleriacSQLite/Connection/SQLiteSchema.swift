import Celeriac

/// The tables of a Celeriac SQLite database, shared by the broker and the result backend, versioned with
/// `PRAGMA user_version`.
///
/// Version 3 (adds groups and chord joins; a version 2 file gets the new tables):
/// - `celeriac_groupmeta`: saved groups (`GroupResult.save()`), Celery's `{"result": as_tuple}` JSON in `meta`.
/// - `celeriac_chords`: one row per running chord: its size, whether a worker claimed its body, whether it ended.
/// - `celeriac_chord_parts`: the header outcomes joined so far, once per `(group_id, task_id, idx)`.
///
/// Version 2:
/// - `celeriac_messages`: one small row per message. `id` (the rowid) gives FIFO order; `state` is 0
///   (ready) or 1 (unacked, with `lease_until` in epoch seconds); `tag` is the delivery tag. The pickup
///   index is `(queue, state, priority, id)`; a partial index on `lease_until` finds expired leases.
/// - `celeriac_message_bodies`: the envelope of each message, by message id. Kept apart so that taking,
///   leasing and giving back a message rewrite a row of a few dozen bytes, not the whole envelope; a
///   trigger deletes the body with its message.
/// - `celeriac_dead_letters`: messages a worker could not process.
/// - `celeriac_revoked`: revoked task ids, numbered in order.
/// - `celeriac_taskmeta`: task results, one row per task id, with Celery's result JSON in `meta`.
enum SQLiteSchema {
    /// The version this code writes.
    static let version: Int64 = 3

    private static let schema = """
        CREATE TABLE IF NOT EXISTS celeriac_messages (
            id INTEGER PRIMARY KEY,
            queue TEXT NOT NULL,
            priority INTEGER NOT NULL DEFAULT 0,
            tag TEXT NOT NULL UNIQUE,
            state INTEGER NOT NULL DEFAULT 0,
            lease_until REAL,
            redelivered INTEGER NOT NULL DEFAULT 0,
            published_at REAL NOT NULL
        );
        CREATE INDEX IF NOT EXISTS celeriac_messages_pickup ON celeriac_messages (queue, state, priority, id);
        CREATE INDEX IF NOT EXISTS celeriac_messages_leases ON celeriac_messages (lease_until) WHERE state = 1;
        CREATE TABLE IF NOT EXISTS celeriac_message_bodies (
            id INTEGER PRIMARY KEY,
            envelope BLOB NOT NULL
        );
        CREATE TRIGGER IF NOT EXISTS celeriac_messages_delete_body AFTER DELETE ON celeriac_messages
        BEGIN
            DELETE FROM celeriac_message_bodies WHERE id = OLD.id;
        END;
        CREATE TABLE IF NOT EXISTS celeriac_dead_letters (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            queue TEXT NOT NULL,
            priority INTEGER NOT NULL DEFAULT 0,
            task_id TEXT,
            task_name TEXT,
            reason TEXT NOT NULL,
            envelope BLOB NOT NULL,
            date REAL NOT NULL
        );
        CREATE TABLE IF NOT EXISTS celeriac_revoked (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            task_id TEXT NOT NULL UNIQUE,
            date REAL NOT NULL
        );
        CREATE TABLE IF NOT EXISTS celeriac_taskmeta (
            task_id TEXT PRIMARY KEY,
            status TEXT NOT NULL,
            meta TEXT NOT NULL,
            date_done TEXT,
            expires_at REAL
        );
        CREATE INDEX IF NOT EXISTS celeriac_taskmeta_expiry ON celeriac_taskmeta (expires_at) WHERE expires_at IS NOT NULL;
        CREATE TABLE IF NOT EXISTS celeriac_groupmeta (
            group_id TEXT PRIMARY KEY,
            meta TEXT NOT NULL,
            expires_at REAL
        );
        CREATE TABLE IF NOT EXISTS celeriac_chords (
            group_id TEXT PRIMARY KEY,
            size INTEGER,
            claimed INTEGER NOT NULL DEFAULT 0,
            done INTEGER NOT NULL DEFAULT 0,
            expires_at REAL
        );
        CREATE TABLE IF NOT EXISTS celeriac_chord_parts (
            group_id TEXT NOT NULL,
            task_id TEXT NOT NULL,
            idx REAL NOT NULL,
            state TEXT NOT NULL,
            result TEXT NOT NULL,
            PRIMARY KEY (group_id, task_id, idx)
        );
        """

    /// Creates the tables when missing, in one transaction.
    /// - Throws: `CeleriacError` when the file holds a newer schema than this code knows.
    static func migrate(_ connection: isolated SQLiteConnection) throws {
        // Several processes may open a fresh file at once; a statement that meets another one's schema
        // change with SQLITE_BUSY rolls back and the whole migration runs again.
        try connection.retryingWhileBusy { try migrateOnce(connection) }
    }

    private static func migrateOnce(_ connection: isolated SQLiteConnection) throws {
        try connection.transaction {
            let current = try connection.integer("PRAGMA user_version") ?? 0
            guard current <= version else {
                throw CeleriacError(
                    connection.errorCode, "the SQLite database has schema version \(current); this Celeriac knows up to \(version)")
            }
            if current == 1 {
                // Version 1 kept the envelope in the message row: move it to its own table.
                try connection.execute(
                    """
                    CREATE TABLE IF NOT EXISTS celeriac_message_bodies (id INTEGER PRIMARY KEY, envelope BLOB NOT NULL);
                    INSERT INTO celeriac_message_bodies (id, envelope) SELECT id, envelope FROM celeriac_messages;
                    ALTER TABLE celeriac_messages DROP COLUMN envelope;
                    """)
            }
            if current < version {
                try connection.execute(schema)
                try connection.execute("PRAGMA user_version = \(version)")
            }
        }
    }
}
