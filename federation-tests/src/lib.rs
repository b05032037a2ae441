//! Scenario tests that run several Enishi instances in one process, each on its own loopback
//! port (`localhost:PORT`), and drive them over real HTTP. The instance harness is
//! `enishi_server::start_on_free_port`; the scenarios live in `tests/`.
