// Headers only: see include/CKVM.h.
