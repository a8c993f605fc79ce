/// The beat tables in a Celeriac SQLite file, created by ``SQLiteBeatStore`` itself with
/// `CREATE TABLE IF NOT EXISTS` (they are not part of the versioned broker schema, ``SQLiteSchema``):
///
/// - `celeriac_beat_lease`: one row per lease name: the holder and when the lease ends (milliseconds since 1970).
/// - `celeriac_beat_entries`: one row per schedule entry: the last claimed tick, the last run the next tick is
///   computed from (both in milliseconds), the tick's task id and whether its message was sent (0 or 1).
enum SQLiteBeatSchema {
    static let sql = """
        CREATE TABLE IF NOT EXISTS celeriac_beat_lease (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            expires_at INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS celeriac_beat_entries (
            name TEXT PRIMARY KEY,
            tick INTEGER NOT NULL,
            last_run INTEGER NOT NULL,
            task_id TEXT NOT NULL,
            sent INTEGER NOT NULL
        );
        """

    /// Creates the tables when missing (retried while another process changes the schema).
    static func create(_ connection: isolated SQLiteConnection) throws {
        try connection.retryingWhileBusy { try connection.transaction { try connection.execute(sql) } }
    }
}
