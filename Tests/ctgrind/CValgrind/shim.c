// CValgrind is header-only; SwiftPM wants a source file in a C target.
#include "CValgrind.h"
