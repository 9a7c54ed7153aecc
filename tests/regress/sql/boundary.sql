-- The C++ / PostgreSQL error boundary, both directions.
-- regress.try (tests/regress/sql/install.sql) shows the SQLSTATE,
-- message, detail and hint a statement raised.
-- C++ -> PostgreSQL: our own errors keep their SQLSTATE, detail and hint
SELECT regress.try($$SELECT pulse_test.raise('pulse')$$);
-- std::bad_alloc becomes out of memory (53200)
SELECT regress.try($$SELECT pulse_test.raise('bad_alloc')$$);
-- any other std::exception, or a non-exception throw, is an internal error (XX000), not a crash
SELECT regress.try($$SELECT pulse_test.raise('std')$$);
SELECT regress.try($$SELECT pulse_test.raise('unknown')$$);
-- a NULL argument is a clear error
SELECT regress.try($$SELECT pulse_test.raise(NULL)$$);
-- PostgreSQL -> C++ -> PostgreSQL: an ereport inside a guarded call becomes a
-- C++ exception and is re-raised with its original SQLSTATE (22P02)
SELECT regress.try($$SELECT pulse_test.raise('pg')$$);
-- the error reaches the client as an ordinary ERROR
SELECT pulse_test.raise('pulse');
SELECT pulse_test.raise('pg');
-- caught inside C++: destructors ran and the memory context was restored
SELECT pulse_test.catch_pg();
-- every error above unwound its C++ objects: each raise() holds one counted
-- object, whether it returns or throws. The counter is per backend.
SELECT pulse_test.destructor_count() AS destructors_before \gset
SELECT pulse_test.raise('pulse');
SELECT pulse_test.raise('pg');
SELECT pulse_test.raise('bad_alloc');
SELECT pulse_test.raise('none');
SELECT pulse_test.destructor_count() - :destructors_before AS destructors_run;
-- the session is healthy after every error
SELECT 1 AS still_alive;
