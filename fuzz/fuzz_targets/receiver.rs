#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| senderkeys::fuzzing::receiver(data));
