//! Round trips and rejections of the batch format.

use super::*;
use crate::event::{EquipmentState, EquipmentStateChanged, EventBody, EventDraft, Source};
use crate::{AgentId, Code, Incarnation, Seq, SeqRange, Timestamp};

fn header(first: u64, last: u64) -> BatchHeader {
    BatchHeader {
        schema_version: SCHEMA_VERSION,
        agent_id: AgentId::new_v7(),
        incarnation: Incarnation::new_v7(),
        first_seq: Seq(first),
        last_seq: Seq(last),
        dropped: vec![],
        buffer: BufferReport::default(),
        sent_at: Timestamp::from_unix_millis(1_764_000_000_000),
    }
}

fn draft(i: u64) -> EventDraft {
    let code = Code::parse(&format!("press-{i}")).expect("valid code");
    EventDraft::new(
        Timestamp::from_unix_millis(1_764_000_000_000 + i as i64),
        Source::Device(code.clone()),
        EventBody::EquipmentStateChanged(EquipmentStateChanged {
            equipment: code,
            state: EquipmentState::Running,
            reason: None,
        }),
    )
}

fn encoded(header: &BatchHeader, seqs: &[u64]) -> Vec<u8> {
    let records: Vec<(Seq, String)> = seqs
        .iter()
        .map(|&s| (Seq(s), draft(s).to_record_json()))
        .collect();
    encode_batch(header, records.iter().map(|(s, r)| (*s, r.as_str())))
}

fn error_of(body: &[u8]) -> BatchError {
    decode_batch(body).expect_err("batch must be rejected")
}

#[test]
fn encoded_batch_decodes_to_the_same_events() {
    let h = header(5, 7);
    let drafts: Vec<EventDraft> = (5..=7).map(draft).collect();
    let records: Vec<String> = drafts.iter().map(EventDraft::to_record_json).collect();
    let body = encode_batch(
        &h,
        records
            .iter()
            .enumerate()
            .map(|(i, r)| (Seq(5 + i as u64), r.as_str())),
    );
    let batch = decode_batch(&body).expect("valid batch");
    assert_eq!(batch.header, h);
    assert_eq!(batch.events.len(), 3);
    for (i, (ev, d)) in batch.events.iter().zip(drafts).enumerate() {
        assert_eq!(ev.header.seq, Seq(5 + i as u64));
        assert_eq!(ev.kind_name, "equipment_state_changed");
        assert_eq!(ev.body.as_ref(), Some(&d.body));
        assert_eq!(ev.header.id, d.id);
    }
}

#[test]
fn dropped_ranges_fill_the_range() {
    let mut h = header(1, 5);
    h.dropped = vec![SeqRange {
        first: Seq(2),
        last: Seq(3),
    }];
    let body = encoded(&h, &[1, 4, 5]);
    let batch = decode_batch(&body).expect("valid batch");
    assert_eq!(batch.events.len(), 3);
}

#[test]
fn unknown_kinds_are_kept_raw() {
    let h = header(1, 1);
    let record = draft(1)
        .to_record_json()
        .replace("equipment_state_changed", "laser_calibrated");
    let body = encode_batch(&h, [(Seq(1), record.as_str())]);
    let batch = decode_batch(&body).expect("unknown kinds are accepted");
    assert_eq!(batch.events[0].kind_name, "laser_calibrated");
    assert!(batch.events[0].body.is_none());
    assert!(batch.events[0].raw.contains("laser_calibrated"));
}

#[test]
fn wrong_schema_version_is_named() {
    let mut h = header(1, 1);
    h.schema_version = 99;
    let e = error_of(&encoded(&h, &[1]));
    assert_eq!(e.code, BatchErrorCode::UnsupportedSchemaVersion);
    assert_eq!(e.detail.field, "schema_version");
}

#[test]
fn malformed_json_is_rejected() {
    assert_eq!(
        error_of(b"{\"schema_version\":1,").code,
        BatchErrorCode::MalformedJson
    );
    let h = header(1, 1);
    let mut body = encoded(&h, &[1]);
    body.extend_from_slice(b"trailing");
    assert_eq!(error_of(&body).code, BatchErrorCode::MalformedJson);
}

#[test]
fn missing_numbers_are_a_gap() {
    let e = error_of(&encoded(&header(1, 4), &[1, 2, 4]));
    assert_eq!(e.code, BatchErrorCode::SequenceGap);
    assert_eq!(e.detail.field, "events[2].seq");
    let e = error_of(&encoded(&header(1, 4), &[1, 2, 3]));
    assert_eq!(e.code, BatchErrorCode::SequenceGap);
    assert_eq!(e.detail.field, "last_seq");
}

#[test]
fn repeated_numbers_are_an_overlap() {
    let e = error_of(&encoded(&header(1, 3), &[1, 2, 2, 3]));
    assert_eq!(e.code, BatchErrorCode::SequenceOverlap);
    assert_eq!(e.detail.field, "events[2].seq");
    let mut h = header(1, 3);
    h.dropped = vec![SeqRange {
        first: Seq(2),
        last: Seq(2),
    }];
    let e = error_of(&encoded(&h, &[1, 2, 3]));
    assert_eq!(e.code, BatchErrorCode::SequenceOverlap);
}

#[test]
fn invalid_event_names_its_field() {
    let h = header(1, 1);
    let record = draft(1).to_record_json().replace("\"running\"", "\"dancing\"");
    let e = error_of(&encode_batch(&h, [(Seq(1), record.as_str())]));
    assert_eq!(e.code, BatchErrorCode::InvalidEvent);
    assert_eq!(e.detail.field, "events[0].data.state");
    assert!(e.detail.reason.contains("dancing"), "{}", e.detail.reason);
}

#[test]
fn zero_first_seq_is_out_of_range() {
    let e = error_of(&encoded(&header(0, 0), &[0]));
    assert_eq!(e.code, BatchErrorCode::InvalidRange);
    assert_eq!(e.detail.field, "first_seq");
}

#[test]
fn sequence_numbers_past_the_largest_are_out_of_range_not_an_overflow() {
    let record = draft(1).to_record_json();
    let one_at = |seq: u64| encode_batch(&header(seq, seq), [(Seq(seq), record.as_str())]);
    let e = error_of(&one_at(u64::MAX));
    assert_eq!(e.code, BatchErrorCode::InvalidRange);
    assert_eq!(e.detail.field, "last_seq");
    assert!(decode_batch(&one_at(MAX_SEQ)).is_ok());
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode_batch(&bytes);
        }

        #[test]
        fn any_contiguous_batch_round_trips(first in 1u64..1_000_000, n in 1u64..50) {
            let seqs: Vec<u64> = (first..first + n).collect();
            let batch = encoded(&header(first, first + n - 1), &seqs);
            let decoded = decode_batch(&batch).expect("contiguous batches are valid");
            prop_assert_eq!(decoded.events.len() as u64, n);
        }
    }
}
