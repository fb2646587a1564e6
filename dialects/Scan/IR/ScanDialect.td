//===- ScanDialect.td - Kiln scan dialect definition ------*- tablegen -*-===//
//
// The scan dialect: recurrences along the sequence dimension. Today it holds
// the Mamba selective scan and the first-order linear recurrence; both are
// instances of an associative scan whose combiner is
// `(a1, b1) . (a2, b2) = (a1 a2, a2 b1 + b2)`, so a generic `scan.scan` with
// a tuple-valued combiner region joins the dialect as a sibling op, and the
// lowering of both ops to chunked scans is shared.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_SCAN_DIALECT
#define KILN_SCAN_DIALECT

include "mlir/IR/OpBase.td"

def Scan_Dialect : Dialect {
  let name = "scan";
  let cppNamespace = "::kiln::scan";
  // Shape reification of the ops builds tensor.dim.
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
  let summary = "Kiln sequence scans and recurrences";
}

class Scan_Op<string mnemonic, list<Trait> traits = []>
    : Op<Scan_Dialect, mnemonic, traits>;

#endif // KILN_SCAN_DIALECT
