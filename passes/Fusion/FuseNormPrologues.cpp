//===- FuseNormPrologues.cpp - layer_norm and rms_norm into GEMMs ---------===//
//
// The kiln-fuse-norm-prologues pass. A normalization that only feeds GEMMs
// (the pre-norm of a transformer block: ln_1 before the attention's
// projections, ln_2 before the MLP) is applied by each GEMM to its own
// rows of A, block by block, instead of being written to memory and read
// back. Several GEMMs reading one norm each normalize their rows: the row
// statistics cost O(K) per row against the product's O(K·N).
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/FusionSupport.h"
#include "passes/Fusion/Passes.h"

#include "llvm/ADT/TypeSwitch.h"

namespace kiln {
#define GEN_PASS_DEF_FUSENORMPROLOGUES
#include "passes/Fusion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

/// The norm's pieces, whichever op it is.
struct NormParts {
  Value input, weight, bias;
  NormKind kind;
  FloatAttr eps;
};

NormParts partsOf(Operation *norm) {
  if (auto layerNorm = dyn_cast<LayerNormOp>(norm))
    return {layerNorm.getInput(), layerNorm.getWeight(), layerNorm.getBias(),
            NormKind::layer_norm, layerNorm.getEpsAttr()};
  auto rmsNorm = cast<RMSNormOp>(norm);
  return {rmsNorm.getInput(), rmsNorm.getWeight(), Value(),
          NormKind::rms_norm, rmsNorm.getEpsAttr()};
}

/// Makes `norm` the prologue of `gemm`, which reads it as its input.
void fuseInto(Operation *norm, Operation *gemm, const NormParts &parts) {
  Location loc = fusedLoc({norm, gemm});
  auto kind = NormKindAttr::get(gemm->getContext(), parts.kind);
  llvm::TypeSwitch<Operation *>(gemm)
      .Case<LinearOp, ffn::MLPOp, ffn::GLUOp>([&](auto op) {
        op.getInputMutable().assign(parts.input);
        op.getNormWeightMutable().assign(parts.weight);
        if (parts.bias)
          op.getNormBiasMutable().assign(parts.bias);
        op.setNormAttr(kind);
        op.setNormEpsAttr(parts.eps);
        op->setLoc(loc);
      });
}

struct FuseNormProloguesPass
    : kiln::impl::FuseNormProloguesBase<FuseNormProloguesPass> {
  void runOnOperation() override {
    SmallVector<Operation *> norms;
    getOperation().walk([&](Operation *op) {
      std::string why;
      if (isa<LayerNormOp, RMSNormOp>(op) &&
          succeeded(canFuseNormPrologue(op, why)))
        norms.push_back(op);
    });
    for (Operation *norm : norms) {
      NormParts parts = partsOf(norm);
      for (Operation *gemm :
           llvm::make_early_inc_range(norm->getResult(0).getUsers()))
        fuseInto(norm, gemm, parts);
      norm->erase();
    }
  }
};

} // namespace
