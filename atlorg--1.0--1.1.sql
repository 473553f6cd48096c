-- atlorg 1.0 -> 1.1.  Every schema change after 1.0 goes here as well as
-- into sql/ (which builds a fresh 1.1); test/upgrade.sh checks that an
-- upgraded installation keeps its rows and has a fresh install's catalog.

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION atlorg UPDATE TO '1.1'" to load this file. \quit
