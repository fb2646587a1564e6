//===- GraphDialect.h - Kiln graph dialect ----------------------*- C++ -*-===//
//
// Declares the graph dialect, home of the model glue ops.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_GRAPH_IR_GRAPHDIALECT_H
#define KILN_DIALECTS_GRAPH_IR_GRAPHDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialects/Graph/IR/GraphDialect.h.inc"
#include "mlir/IR/Attributes.h"
#include "mlir/IR/DialectImplementation.h"
#include "dialects/Graph/IR/GraphEnums.h.inc"
#include "lib/ShapeRules/Activation.h"

namespace kiln {
/// Prints an activation by its name (the attribute's assembly format).
inline llvm::raw_ostream &operator<<(llvm::raw_ostream &os,
                                     Activation activation) {
  return os << activationName(activation);
}
} // namespace kiln

namespace mlir {
/// Parses an activation by its name (the attribute's assembly format).
template <>
struct FieldParser<kiln::Activation, kiln::Activation> {
  template <typename ParserT>
  static FailureOr<kiln::Activation> parse(ParserT &parser) {
    std::string name;
    auto loc = parser.getCurrentLocation();
    if (failed(parser.parseOptionalKeywordOrString(&name)))
      return parser.emitError(loc, "expected an activation name");
    if (std::optional<kiln::Activation> activation =
            kiln::parseActivation(name))
      return *activation;
    return parser.emitError(loc, "unknown activation '") << name << "'";
  }
};
} // namespace mlir
#define GET_ATTRDEF_CLASSES
#include "dialects/Graph/IR/GraphAttrs.h.inc"

#endif // KILN_DIALECTS_GRAPH_IR_GRAPHDIALECT_H
