//===- ScanDialect.h - Kiln scan dialect ---------------------------*- C++ -*-===//
//
// Declares the scan dialect and its attributes.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_SCAN_IR_SCANDIALECT_H
#define KILN_DIALECTS_SCAN_IR_SCANDIALECT_H

#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"

#include "dialects/Scan/IR/ScanDialect.h.inc"

#endif // KILN_DIALECTS_SCAN_IR_SCANDIALECT_H
