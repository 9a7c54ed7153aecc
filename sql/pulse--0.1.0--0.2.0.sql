-- Upgrade 0.1.0 -> 0.2.0: what changes in the objects that hold data.
\echo Use "ALTER EXTENSION pulse UPDATE TO '0.2.0'" to load this file. \quit
