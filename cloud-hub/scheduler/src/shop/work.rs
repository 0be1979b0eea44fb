//! Scratch space of the incremental re-timing (`retime.rs`), kept with each
//! schedule (`graph.rs`) so a move allocates nothing.

/// Scratch space of the incremental re-timing.
#[derive(Debug, Clone)]
pub(crate) struct Work {
    pub(super) seen: Vec<u32>,
    stamp: u32,
    pub(super) forward: Vec<u32>,
    pub(super) backward: Vec<u32>,
    pub(super) ranks: Vec<u32>,
    pub(super) stack: Vec<u32>,
}

impl Work {
    pub(crate) fn new(n: usize) -> Self {
        Work {
            seen: vec![0; n],
            stamp: 0,
            forward: Vec::new(),
            backward: Vec::new(),
            ranks: Vec::new(),
            stack: Vec::new(),
        }
    }

    /// A stamp no operation is marked `seen` with yet.
    pub(super) fn next_stamp(&mut self) -> u32 {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.seen.fill(0);
            self.stamp = 1;
        }
        self.stamp
    }
}
