#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| senderkeys::testing::fuzz::p2p(data));
