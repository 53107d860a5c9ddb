//! `hardbench check-access`: whether every host of an inventory could be
//! audited, found out without gathering anything. Each host is reached as
//! `run` reaches it (the same inventory, `Transport` and deadlines, so
//! whatever the transport knows, ssh_config included, applies), and a
//! small fixed probe (`probe.sh`) runs there as the SSH user: it runs the
//! gathering's sudo command line and looks up the tools gather.sh needs.
//! Each host then reads as a row of stages (`stage.rs`), shown as a table
//! (`table.rs`) and as JSON (`report/json/access.rs`).

mod command;
pub mod probe;
pub mod stage;
pub mod table;

pub use command::execute;

use crate::outcome::InputFile;
use chrono::{DateTime, FixedOffset};
use stage::HostAccess;

/// One access check: every host selected, in inventory order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub started_at: DateTime<FixedOffset>,
    pub finished_at: DateTime<FixedOffset>,
    pub inventory: InputFile,
    pub hosts: Vec<HostAccess>,
}
