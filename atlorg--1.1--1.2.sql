-- atlorg 1.1 -> 1.2.  1.1 has shipped and its install script is frozen;
-- every schema change after it goes here as well as into sql/ (which
-- builds a fresh 1.2); test/upgrade.sh checks that an upgraded
-- installation keeps its rows and has a fresh install's catalog.

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION atlorg UPDATE TO '1.2'" to load this file. \quit
