//===- WarpDialect.h - Kiln warp dialect ------------------------*- C++ -*-===//
//
// Declares the warp dialect.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_WARP_IR_WARPDIALECT_H
#define KILN_DIALECTS_WARP_IR_WARPDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialects/Warp/IR/WarpDialect.h.inc"

#endif // KILN_DIALECTS_WARP_IR_WARPDIALECT_H
