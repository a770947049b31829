//! The OTLP/HTTP receiver's place in the app state: its handle while it runs, or why it could
//! not start (driven by `commands::traces`).

use countersign_receiver::ReceiverHandle;

/// The receiver while the app runs: its handle, or why it could not start.
#[derive(Default)]
pub struct ReceiverSlot {
    /// The running receiver.
    pub handle: Option<ReceiverHandle>,
    /// Why it is not running although enabled.
    pub error: Option<String>,
}
