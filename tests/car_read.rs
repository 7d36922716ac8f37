//! CAR reading: malformed framing, headers and blocks rejected with their code and byte offset,
//! by the whole-buffer and the incremental reader alike (at every chunking); tolerance of order,
//! duplicates and unused blocks; limits checked before allocation.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use atproof::car::{
    read_car, read_car_trusted, read_car_with_limits, write_car, write_varint, CarItem, CarLimits,
    CarStreamReader, CarWriter,
};
use atproof::cbor::Encoder;
use atproof::cid::Cid;
use atproof::Code;

fn block(n: u8) -> (Cid, Vec<u8>) {
    // {"n": n}
    let bytes = vec![0xa1, 0x61, b'n', n];
    (Cid::for_drisl(&bytes), bytes)
}

fn header(write: impl Fn(&mut Encoder)) -> Vec<u8> {
    let mut enc = Encoder::new();
    write(&mut enc);
    let body = enc.into_bytes();
    let mut out = Vec::new();
    write_varint(body.len() as u64, &mut out);
    out.extend_from_slice(&body);
    out
}

fn section(cid: &Cid, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    write_varint((36 + data.len()) as u64, &mut out);
    out.extend_from_slice(&cid.to_bytes());
    out.extend_from_slice(data);
    out
}

/// Reads `car` whole and in chunks of every size up to 8 bytes plus one byte at a time; all must
/// agree: the same blocks or the same error code.
fn read_all_ways(car: &[u8], limits: &CarLimits) -> Result<Vec<(Cid, Vec<u8>)>, atproof::Error> {
    let whole = read_car_with_limits(car, limits);
    for chunk_size in 1..=8 {
        let mut reader = CarStreamReader::with_limits(*limits);
        let mut blocks = Vec::new();
        let result = car
            .chunks(chunk_size)
            .try_for_each(|chunk| {
                reader.feed(chunk, |item| {
                    if let CarItem::Block { cid, data } = item {
                        blocks.push((cid, data.to_vec()));
                    }
                    Ok(())
                })
            })
            .and_then(|()| reader.finish());
        match (&whole, result) {
            (Ok(car), Ok(())) => {
                for (cid, data) in &blocks {
                    assert_eq!(car.get(cid), Some(data.as_slice()));
                }
            }
            (Err(expected), Err(error)) => assert_eq!(
                error.code(),
                expected.code(),
                "chunk size {chunk_size}: {error} vs {expected}"
            ),
            (whole, stream) => panic!("chunk size {chunk_size}: {whole:?} vs {stream:?}"),
        }
    }
    whole.map(|car| {
        let mut blocks: Vec<_> = car.blocks().iter().map(|(c, b)| (c, b.to_vec())).collect();
        blocks.sort();
        blocks
    })
}

fn code(car: &[u8]) -> Code {
    read_all_ways(car, &CarLimits::DEFAULT).unwrap_err().code()
}

/// Writes a header body.
type HeaderWriter = Box<dyn Fn(&mut Encoder)>;

fn good_header(roots: &[Cid]) -> Vec<u8> {
    header(|e| {
        e.write_map_header(2);
        e.write_str("roots");
        e.write_array_header(roots.len());
        for root in roots {
            e.write_link(root);
        }
        e.write_str("version");
        e.write_int(1);
    })
}

#[test]
fn order_duplicates_and_unused_blocks() {
    let (a, a_bytes) = block(1);
    let (b, b_bytes) = block(2);
    let (c, c_bytes) = block(3);
    let mut car = good_header(&[a]);
    for (cid, data) in [
        (&c, &c_bytes),
        (&a, &a_bytes),
        (&b, &b_bytes),
        (&a, &a_bytes),
    ] {
        car.extend(section(cid, data));
    }
    let blocks = read_all_ways(&car, &CarLimits::DEFAULT).unwrap();
    assert_eq!(blocks.len(), 3);
    assert_eq!(read_car(&car).unwrap().roots(), &[a]);
    // No blocks, no roots: still a CAR.
    let empty_car = good_header(&[]);
    let empty = read_car(&empty_car).unwrap();
    assert!(empty.roots().is_empty() && empty.blocks().is_empty());
    // The writer and the reader agree.
    let written = write_car(&[a], [(b, &b_bytes[..]), (a, &a_bytes[..])]);
    assert_eq!(read_car(&written).unwrap().get(&b), Some(&b_bytes[..]));
}

#[test]
fn hashes_are_checked() {
    let (a, _) = block(1);
    let (_, other) = block(2);
    let mut car = good_header(&[a]);
    car.extend(section(&a, &other));
    let offset = good_header(&[a]).len();
    let error = read_car(&car).unwrap_err();
    assert_eq!(error.code(), Code::CidMismatch);
    assert!(
        error.message().contains(&format!("byte {offset}")),
        "{error}"
    );
    assert_eq!(code(&car), Code::CidMismatch);
    // Only the reader named for trusted input skips the hash.
    assert!(read_car_trusted(&car, &CarLimits::DEFAULT).is_ok());
    let mut trusted = CarStreamReader::trusted(CarLimits::DEFAULT);
    trusted.feed(&car, |_| Ok(())).unwrap();
    trusted.finish().unwrap();
}

#[test]
fn bad_headers() {
    let (a, _) = block(1);
    assert_eq!(code(&[]), Code::CarTruncated);
    assert_eq!(code(&good_header(&[a])[..10]), Code::CarTruncated);
    assert_eq!(code(&header(|e| e.write_int(1))), Code::CarInvalidHeader);
    let cases: Vec<HeaderWriter> = vec![
        // version 2
        Box::new(|e| {
            e.write_map_header(2);
            e.write_str("roots");
            e.write_array_header(0);
            e.write_str("version");
            e.write_int(2);
        }),
        // no roots
        Box::new(|e| {
            e.write_map_header(1);
            e.write_str("version");
            e.write_int(1);
        }),
        // no version
        Box::new(|e| {
            e.write_map_header(1);
            e.write_str("roots");
            e.write_array_header(0);
        }),
        // an extra field
        Box::new(|e| {
            e.write_map_header(3);
            e.write_str("roots");
            e.write_array_header(0);
            e.write_str("extra");
            e.write_int(0);
            e.write_str("version");
            e.write_int(1);
        }),
        // keys out of canonical order
        Box::new(|e| {
            e.write_map_header(2);
            e.write_str("version");
            e.write_int(1);
            e.write_str("roots");
            e.write_array_header(0);
        }),
        // a root that is not a link
        Box::new(|e| {
            e.write_map_header(2);
            e.write_str("roots");
            e.write_array_header(1);
            e.write_str("bafy");
            e.write_str("version");
            e.write_int(1);
        }),
    ];
    for (i, write) in cases.iter().enumerate() {
        let car = header(write);
        assert_eq!(code(&car), Code::CarInvalidHeader, "case {i}");
    }
    // Trailing bytes inside the header frame.
    let mut body = good_header(&[])[1..].to_vec();
    body.push(0);
    let mut car = Vec::new();
    write_varint(body.len() as u64, &mut car);
    car.extend(body);
    assert_eq!(code(&car), Code::CarInvalidHeader);
}

#[test]
fn bad_framing() {
    let (a, a_bytes) = block(1);
    let head = good_header(&[a]);
    let at = head.len();
    let with = |tail: &[u8]| [&head[..], tail].concat();
    // Non-minimal, too long, overflowing varints.
    for varint in [
        &[0x80, 0x00][..],
        &[0xff; 11][..],
        &[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02][..],
    ] {
        let car = with(varint);
        assert_eq!(code(&car), Code::CarInvalidVarint);
        let error = read_car(&car).unwrap_err();
        assert!(error.message().contains(&format!("byte {at}")), "{error}");
    }
    // A varint cut short, a section cut short.
    assert_eq!(code(&with(&[0x81])), Code::CarTruncated);
    let full = section(&a, &a_bytes);
    let error = read_car(&with(&full[..full.len() - 1])).unwrap_err();
    assert_eq!(error.code(), Code::CarTruncated);
    assert!(error.message().contains(&format!("byte {at}")), "{error}");
    assert_eq!(code(&with(&full[..full.len() - 1])), Code::CarTruncated);
    // Sections too short for a CID, with a CIDv0, with another codec.
    assert_eq!(code(&with(&[1, 0])), Code::InvalidCid);
    assert_eq!(code(&with(&[0])), Code::InvalidCid);
    let mut v0 = vec![34, 0x12, 0x20];
    v0.extend_from_slice(&[0; 32]);
    assert_eq!(code(&with(&v0)), Code::CidUnsupported);
    let mut dag_pb = section(&a, &a_bytes);
    dag_pb[2] = 0x70;
    assert_eq!(code(&with(&dag_pb)), Code::CidUnsupported);
}

#[test]
fn limits_before_allocation() {
    let (a, a_bytes) = block(1);
    let head = good_header(&[a]);
    // A section claiming 2^40 bytes fails at its length prefix, whole or streamed.
    let mut huge = head.clone();
    write_varint(1 << 40, &mut huge);
    assert_eq!(code(&huge), Code::LimitExceeded);
    let small = CarLimits {
        max_block_size: 3,
        ..CarLimits::DEFAULT
    };
    let mut car = head.clone();
    car.extend(section(&a, &a_bytes));
    let error = read_all_ways(&car, &small).unwrap_err();
    assert_eq!(error.code(), Code::LimitExceeded);
    let few = CarLimits {
        max_blocks: 1,
        ..CarLimits::DEFAULT
    };
    car.extend(section(&a, &a_bytes));
    assert_eq!(
        read_all_ways(&car, &few).unwrap_err().code(),
        Code::LimitExceeded
    );
    let tiny = CarLimits {
        max_car_size: 10,
        ..CarLimits::DEFAULT
    };
    assert_eq!(
        read_all_ways(&car, &tiny).unwrap_err().code(),
        Code::LimitExceeded
    );
}

#[test]
fn stream_reader_is_spent_after_an_error() {
    let (a, _) = block(1);
    let mut car = good_header(&[a]);
    car.extend_from_slice(&[0x80, 0x00]);
    let mut reader = CarStreamReader::new();
    let error = reader.feed(&car, |_| Ok(())).unwrap_err();
    assert_eq!(reader.feed(&[], |_| Ok(())).unwrap_err(), error);
    assert_eq!(reader.finish().unwrap_err(), error);
    // An error from the callback stops the reader too.
    let mut writer = CarWriter::new(&[a]);
    writer.write_block(&a, &block(1).1);
    let mut reader = CarStreamReader::new();
    let stop = atproof::Error::new(Code::InvalidArgument, "stop");
    let error = reader
        .feed(&writer.into_bytes(), |_| Err(stop.clone()))
        .unwrap_err();
    assert_eq!(error, stop);
}
