-- Guest input for sqlite3 (compare.py replaces @ROWS@). Output must not
-- depend on anything but the SQL.
.bail on
.headers on
.mode list
PRAGMA page_size = 4096;
CREATE TABLE t (id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, val REAL, blob BLOB);
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < @ROWS@)
INSERT INTO t (id, grp, name, val, blob)
SELECT i, (i * 7919) % 97, printf('name-%06d-%s', i, hex(i * 2654435761 % 4294967296)),
       ((i * 48271) % 2147483647) / 2147483647.0 * 1000.0, zeroblob(i % 64)
FROM seq;
CREATE INDEX t_grp ON t (grp, val);
CREATE TABLE g AS SELECT grp, count(*) AS n, sum(val) AS s FROM t GROUP BY grp;
SELECT count(*), sum(grp), printf('%.6f', sum(val)), printf('%.6f', avg(val)), min(name), max(name), sum(length(blob)) FROM t;
SELECT grp, n, printf('%.4f', s) FROM g ORDER BY s DESC LIMIT 5;
SELECT grp, count(*) AS c, printf('%.3f', max(val) - min(val)) AS spread FROM t WHERE val > 500 GROUP BY grp HAVING c > 3 ORDER BY grp LIMIT 5;
SELECT id, name, printf('%.5f', val), rank() OVER (PARTITION BY grp ORDER BY val DESC) AS r
  FROM t WHERE grp = 42 ORDER BY r LIMIT 5;
SELECT t.grp, count(*), printf('%.2f', sum(t.val * g.n)) FROM t JOIN g ON g.grp = t.grp
  WHERE t.id % 13 = 0 GROUP BY t.grp ORDER BY 3 DESC LIMIT 3;
SELECT substr(group_concat(name, ','), 1, 60) FROM (SELECT name FROM t ORDER BY val LIMIT 20);
SELECT json_group_array(json_object('g', grp, 'n', n)) FROM (SELECT grp, n FROM g ORDER BY grp LIMIT 4);
WITH RECURSIVE fib(a, b, k) AS (SELECT 0, 1, 0 UNION ALL SELECT b, a + b, k + 1 FROM fib WHERE k < 80)
SELECT max(a) FROM fib;
UPDATE t SET val = val * 2 WHERE grp % 3 = 0;
DELETE FROM t WHERE id % 5 = 0;
SELECT count(*), printf('%.6f', total(val)) FROM t;
SELECT upper('ok'), round(3.14159265, 3), 7 / 2, 7 % 3, cast('12abc' AS INTEGER);
PRAGMA integrity_check;
