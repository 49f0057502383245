// The system SQLite 3 (libsqlite3-dev), for MockOktaCore's Storage/SQLite.swift.
#include <sqlite3.h>
