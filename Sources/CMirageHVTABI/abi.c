// The ABI is the header; see include/mirage_hvt_abi.h.
