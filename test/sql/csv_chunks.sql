--
-- Export files are read in 64 kB chunks, and a chunk that is valid UTF-8
-- as a whole is not checked again field by field.  These rows straddle the
-- first chunk's end (byte 65,536), so that a character split by it, or a
-- bad byte on either side of it, is read exactly as anywhere else.
--
\set header 'User id,User name,email\n'
-- the second row's name runs across the chunk's end: its last byte of
-- "fill" is byte 65,534, so the next byte is the chunk's last
CREATE TEMP TABLE straddle AS
SELECT convert_to(E:'header' || E'u1,One,one@example.com\nu2,', 'UTF8') AS head;
CREATE TEMP VIEW pad AS
SELECT head, convert_to(repeat('a', 65535 - length(head)), 'UTF8') AS fill FROM straddle;

-- é (two bytes) split by the chunk's end: read as one character
SELECT line, account_id, length(name) AS name_chars, right(name, 3) AS name_end, email
  FROM pad, atl_csv_users(head || fill || '\xc3a9'::bytea || convert_to(E'b,two@example.com\nu3,Three,three@example.com\n', 'UTF8'))
 ORDER BY line;

-- a character begun before the chunk's end and not finished after it
SELECT count(*) FROM pad, atl_csv_users(head || fill || '\xc3'::bytea || convert_to(E'Ab,two@example.com\n', 'UTF8'));
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) FROM pad, atl_csv_users(head || fill || '\xe282'::bytea || convert_to(E'b,two@example.com\n', 'UTF8'));

-- a bad byte just after the chunk's end, in a row that began before it
SELECT count(*) FROM pad, atl_csv_users(head || fill || '\x41ff'::bytea || convert_to(E'b,two@example.com\n', 'UTF8'));
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- a bad byte just before it, in a row that ends after it
SELECT count(*) FROM pad, atl_csv_users(head || fill || '\xff41'::bytea || convert_to(E'b,two@example.com\n', 'UTF8'));
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- a bad byte in an earlier row of the chunk: that row's line
SELECT count(*) FROM atl_csv_users(convert_to(E:'header' || 'u1,', 'UTF8') || '\xff'::bytea
                                   || convert_to(E',one@example.com\nu2,' || repeat('a', 70000) || E',two@example.com\n', 'UTF8'));
-- skip_bad does not skip an encoding error, in either chunk
SELECT count(*) FROM pad, atl_csv_users(head || fill || '\xff41'::bytea || convert_to(E'b,two@example.com\n', 'UTF8'), skip_bad => true);
-- a NUL in a field is not UTF-8 text either
SELECT count(*) FROM pad, atl_csv_users(head || fill || '\x4100'::bytea || convert_to(E'b,two@example.com\n', 'UTF8'));
