"""SQL shared by the SQLite store's transactions."""

__all__ = ["ONLY_ON_PATH"]

# The rows of the nodes on the path to the node hashed `?` that no other branch of session `?`
# reaches (run after that branch's ref row is gone).
ONLY_ON_PATH = (
    "WITH RECURSIVE "
    "gone(row, parent_row) AS ("
    "SELECT rowid, parent_row FROM nodes WHERE hash = ? "
    "UNION SELECT n.rowid, n.parent_row FROM nodes n JOIN gone g ON n.rowid = g.parent_row), "
    "kept(row, parent_row) AS ("
    "SELECT n.rowid, n.parent_row FROM refs r JOIN nodes n ON n.hash = r.head "
    "WHERE r.session_id = ? "
    "UNION SELECT n.rowid, n.parent_row FROM nodes n JOIN kept k ON n.rowid = k.parent_row) "
    "SELECT row FROM gone EXCEPT SELECT row FROM kept"
)
