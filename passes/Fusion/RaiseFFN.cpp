//===- RaiseFFN.cpp - Linear-activation-linear graphs to ffn ops ----------===//
//
// The kiln-raise-ffn pass: `linear → activation → linear` becomes ffn.mlp
// and `act(linear(x, w_gate)) * linear(x, w_up) → linear` becomes ffn.glu,
// whose kernels apply the activation (and the gate) to the accumulators of
// the first GEMM, and whose weights are packed together at bind time. A
// gate and up taken as parts of one projection's output (Phi-3's
// gate_up_proj) become the glu's weights as row ranges of the projection's
// weight, packed from it at bind time as two weights are.
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/FusionSupport.h"
#include "passes/Fusion/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_RAISEFFN
#include "passes/Fusion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;
using namespace kiln::graph;

namespace {

/// A linear imported as is: no fused epilogue yet.
bool isPlainLinear(LinearOp op) {
  return op && !op.getResidual() && !op.getActivation();
}

/// The rows of a projection's `[N, K]` weight that compute `part` of its
/// output: a slice of the weight, or of its source when it is given
/// `[K, N]` and transposed (kiln-raise-linear), so that kiln-pack-weights
/// packs the panels from the parameter itself.
Value weightRows(OpBuilder &builder, Location loc, Value weight,
                 const ProjectionPart &part) {
  auto rows = [&](Value matrix, uint64_t axis) -> Value {
    return builder.create<SliceOp>(
        loc, matrix, axis, static_cast<uint64_t>(part.start),
        builder.getI64IntegerAttr(part.start + part.size));
  };
  auto transpose = weight.getDefiningOp<TransposeOp>();
  if (transpose && transpose.getPerm() == ArrayRef<int64_t>{1, 0})
    return builder.create<TransposeOp>(loc, rows(transpose.getInput(), 1),
                                       transpose.getPermAttr());
  return rows(weight, 0);
}

struct RaiseFFNPattern : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearOp out,
                                PatternRewriter &rewriter) const override {
    std::string why;
    FailureOr<FFNMatch> match = matchFFN(out, why);
    if (failed(match))
      return rewriter.notifyMatchFailure(out, why);
    auto activation = ActivationAttr::get(getContext(), match->act.kind);
    SmallVector<Operation *> fused = {match->in};
    if (match->up)
      fused.push_back(match->up);
    llvm::append_range(fused, match->act.ops);
    if (match->gate)
      fused.push_back(match->gate);
    fused.push_back(out);
    if (match->parts) {
      auto [gate, up] = *match->parts;
      fused.insert(fused.begin() + 1, gate.op);
      if (up.op != gate.op)
        fused.insert(fused.begin() + 2, up.op);
      // The weight's rows are the projection's node, as its weight was.
      Location rowsLoc = match->in.getLoc();
      Value weight = match->in.getWeight();
      auto glu = rewriter.create<ffn::GLUOp>(
          fusedLoc(fused), match->in.getInput(),
          weightRows(rewriter, rowsLoc, weight, gate),
          weightRows(rewriter, rowsLoc, weight, up), out.getWeight(),
          /*residual=*/Value(), activation);
      rewriter.replaceOp(out, glu);
    } else if (!match->up) {
      auto mlp = rewriter.create<ffn::MLPOp>(
          fusedLoc(fused), match->in.getInput(), match->in.getWeight(),
          match->in.getBias(), out.getWeight(), out.getBias(),
          /*residual=*/Value(), activation);
      rewriter.replaceOp(out, mlp);
    } else {
      auto glu = rewriter.create<ffn::GLUOp>(
          fusedLoc(fused), match->in.getInput(), match->in.getWeight(),
          match->up.getWeight(), out.getWeight(), /*residual=*/Value(),
          activation);
      rewriter.replaceOp(out, glu);
    }
    return success();
  }
};

struct RaiseFFNPass : kiln::impl::RaiseFFNBase<RaiseFFNPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RaiseFFNPattern>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                            std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

FailureOr<FFNMatch> kiln::matchFFN(LinearOp out, std::string &why) {
  auto fail = [&](const Twine &reason) {
    why = reason.str();
    return failure();
  };
  if (!isPlainLinear(out))
    return fail("the projection already has a fused epilogue");
  Value hidden = out.getInput();
  Operation *def = hidden.getDefiningOp();
  if (!def)
    return fail("the projection's input is not computed by the graph");
  if (!hidden.hasOneUse())
    return fail(otherUsersReason(hidden, out, "its input"));

  FFNMatch match;
  match.out = out;
  if (std::optional<ActivationMatch> act = matchActivation(hidden)) {
    auto in = act->input.getDefiningOp<LinearOp>();
    if (!isPlainLinear(in))
      return fail("the activation's input is not a plain linear");
    if (!in.getResult().hasOneUse())
      return fail(otherUsersReason(in.getResult(), act->ops.front(),
                                   "the activation's input"));
    if (!isMlpActivation(act->kind))
      return fail(std::string("ffn.mlp takes no ") + activationName(act->kind) +
                  " activation");
    match.in = in;
    match.act = *act;
    return match;
  }
  if (auto mul = dyn_cast<MulOp>(def)) {
    // act(gate) * up, in either order.
    for (int gateSide = 0; gateSide < 2; ++gateSide) {
      std::optional<ActivationMatch> act =
          matchActivation(mul->getOperand(gateSide));
      if (!act)
        continue;
      std::optional<ProjectionPart> gatePart = projectionPart(act->input),
                                    upPart = projectionPart(
                                        mul->getOperand(1 - gateSide));
      if (gatePart && upPart && gatePart->projection == upPart->projection) {
        if (failed(canTakeParts(*gatePart, *upPart, out, why)))
          return failure();
        if (!isGluActivation(act->kind))
          return fail("ffn.glu takes " + describeActivations(gluActivations()) +
                      ", not " + activationName(act->kind));
        for (Value value : {mul->getOperand(gateSide), act->input,
                            mul->getOperand(1 - gateSide)})
          if (!value.hasOneUse())
            return fail(otherUsersReason(value));
        if (mul.getType() != act->input.getType())
          return fail("the gate and up parts differ in shape");
        match.in = gatePart->projection;
        match.act = *act;
        match.gate = mul;
        match.parts = std::make_pair(*gatePart, *upPart);
        return match;
      }
      auto up = mul->getOperand(1 - gateSide).getDefiningOp<LinearOp>();
      if (!up)
        continue;
      auto gate = act->input.getDefiningOp<LinearOp>();
      if (!isPlainLinear(gate) || !isPlainLinear(up))
        return fail("the gate or up projection is not a plain linear");
      if (gate.getInput() != up.getInput())
        return fail("the gate and up projections read different inputs");
      if (gate.getBias() || up.getBias() || out.getBias())
        return fail("ffn.glu takes no biases");
      if (!isGluActivation(act->kind))
        return fail("ffn.glu takes " + describeActivations(gluActivations()) +
                    ", not " + activationName(act->kind));
      for (Value value : {mul->getOperand(gateSide), Value(up.getResult()),
                          Value(gate.getResult())})
        if (!value.hasOneUse())
          return fail(otherUsersReason(value));
      if (gate.getType() != up.getType() || mul.getType() != up.getType())
        return fail("the gate and up projections differ in shape");
      match.in = gate;
      match.up = up;
      match.act = *act;
      match.gate = mul;
      return match;
    }
    // After kiln-fuse-epilogues (as the report sees it), a gate whose
    // activation glu does not take holds it as its epilogue.
    for (Value side : mul->getOperands())
      if (auto gate = side.getDefiningOp<LinearOp>();
          gate && gate.getActivation() &&
          !isGluActivation(*gate.getActivation()))
        return fail("ffn.glu takes " + describeActivations(gluActivations()) +
                    ", not " + activationName(*gate.getActivation()));
    return fail("the product is not act(linear) * linear");
  }
  return fail("the projection's input is neither an activation of a linear "
              "nor a gated product");
}

LogicalResult kiln::canTakeParts(const ProjectionPart &gate,
                                 const ProjectionPart &up, LinearOp out,
                                 std::string &why) {
  auto fail = [&](const Twine &reason) {
    why = reason.str();
    return failure();
  };
  LinearOp projection = gate.projection;
  if (!isPlainLinear(projection))
    return fail("the gate and up projection is not a plain linear");
  if (projection.getBias() || out.getBias())
    return fail("ffn.glu takes no biases");
  if (gate.size != up.size)
    return fail("the gate and up parts differ in size");
  if (gate.start < up.start + up.size && up.start < gate.start + gate.size)
    return fail("the gate and up parts overlap");
  // The projection goes: nothing but the two parts may read it.
  for (Operation *user : projection->getUsers())
    if (user != gate.op && user != up.op)
      return fail("the gate and up projection has other users");
  if (auto split = dyn_cast<SplitOp>(gate.op);
      split && split.getNumResults() != 2)
    return fail("the split has more parts than the gate and up");
  return success();
}
