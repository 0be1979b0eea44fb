//! Reading the next batch to send, on the uplink's own connection.

use super::BufferError;
use super::schema::open_reader;
use mes_protocols::{Seq, SeqRange};
use rusqlite::{Connection, params};
use std::collections::HashSet;
use std::path::Path;

/// Most dropped ranges one batch carries.
const MAX_RANGES: usize = 10_000;

/// The next events to send, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingBatch {
    /// First sequence number covered.
    pub first: Seq,
    /// Last sequence number covered.
    pub last: Seq,
    /// Events with their stored record JSON (no `seq`), ascending.
    pub events: Vec<(Seq, String)>,
    /// Dropped numbers inside `first..=last`.
    pub dropped: Vec<SeqRange>,
}

/// Reads batches from the buffer file.
pub struct BatchReader {
    conn: Connection,
}

impl BatchReader {
    pub(super) fn open(path: &Path) -> Result<Self, BufferError> {
        Ok(Self {
            conn: open_reader(path)?,
        })
    }

    /// The batch that follows `after`: up to `limit` events plus the dropped
    /// ranges among them, or `None` when nothing is waiting. Reads in one
    /// transaction so events and dropped ranges agree.
    pub fn next_batch(&mut self, after: Seq, limit: usize) -> rusqlite::Result<Option<PendingBatch>> {
        let tx = self.conn.transaction()?;
        let mut events: Vec<(Seq, String)> = tx
            .prepare_cached("SELECT seq, record FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2")?
            .query_map(params![after.0, limit as i64], |r| {
                Ok((Seq(r.get(0)?), r.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        end_before_repeated_id(&mut events);
        let bound = events.last().map_or(i64::MAX, |(s, _)| s.0 as i64);
        let dropped: Vec<SeqRange> = tx
            .prepare_cached(
                "SELECT first_seq, last_seq FROM dropped_ranges
                 WHERE last_seq > ?1 AND first_seq <= ?2 ORDER BY first_seq LIMIT ?3",
            )?
            .query_map(params![after.0, bound, MAX_RANGES as i64], |r| {
                Ok(SeqRange {
                    first: Seq(r.get::<_, u64>(0)?.max(after.0 + 1)),
                    last: Seq(r.get(1)?),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        tx.commit()?;
        if dropped.len() == MAX_RANGES {
            // Too many ranges to send at once: end this batch at the last
            // range read, so the batch still covers its numbers exactly.
            let end = dropped[MAX_RANGES - 1].last;
            events.retain(|(s, _)| *s < end);
            return Ok(Some(PendingBatch {
                first: after.next(),
                last: end,
                events,
                dropped,
            }));
        }
        let last = match (events.last(), dropped.last()) {
            (Some((s, _)), _) => *s,
            (None, Some(r)) => r.last,
            (None, None) => return Ok(None),
        };
        Ok(Some(PendingBatch {
            first: after.next(),
            last,
            events,
            dropped,
        }))
    }
}

/// Ends the batch before the second copy of an event id. The buffer holds an
/// id twice when a producer resent a request whose first attempt was
/// committed but not answered (the agent was killed mid-request). The hub
/// refuses a batch naming an id twice (`duplicate_event_id`), on every retry,
/// which would stall sync for good; sent in a later batch, the second copy
/// is acknowledged as a duplicate like any resent event.
fn end_before_repeated_id(events: &mut Vec<(Seq, String)>) {
    #[derive(serde::Deserialize)]
    struct Id<'a> {
        #[serde(borrow)]
        id: &'a str,
    }
    let mut seen = HashSet::with_capacity(events.len());
    let repeated = events.iter().position(|(_, record)| {
        serde_json::from_str::<Id<'_>>(record).is_ok_and(|r| !seen.insert(r.id.to_owned()))
    });
    if let Some(i) = repeated {
        events.truncate(i);
    }
}
