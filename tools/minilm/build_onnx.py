"""Build data/tariff/minilm/model.onnx from the fine-tuned weights (step 3 of the recipe).

Run in a throwaway venv (torch, transformers, onnx, onnxscript), never the project's:
    python build_onnx.py FINETUNED_DIR OUT.onnx
1. Export the BERT encoder (no pooling) with torch.onnx (dynamo, opset 18), fp32.
2. int8: each MatMul weight [K, N] becomes a MatMulNBits node (ONNX Runtime's contrib op)
   holding int8 values with one fp32 scale per block of 32 rows per column, computing in
   int8 (accuracy_level 4: each token's input quantised on its own, per block of 32);
   the word/position embedding tables are stored as int8 with one scale per row and
   rebuilt as Cast(Q) * scale, which ONNX Runtime folds when the session loads.
"""
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from transformers import AutoModel

SRC, OUT, BLOCK = sys.argv[1], sys.argv[2], 32


class Encoder(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.m(input_ids=input_ids, attention_mask=attention_mask,
                      token_type_ids=token_type_ids).last_hidden_state


bert = AutoModel.from_pretrained(SRC, attn_implementation="eager").eval()
ids = torch.tensor([[101, 7632, 2088, 102, 0, 0], [101, 7632, 2088, 2003, 1037, 102]])
batch, seq = torch.export.Dim("batch"), torch.export.Dim("sequence", max=512)
dyn = {"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq},
       "token_type_ids": {0: batch, 1: seq}}
with torch.no_grad():
    program = torch.onnx.export(
        Encoder(bert).eval(), (ids, (ids != 0).long(), torch.zeros_like(ids)), None,
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["last_hidden_state"], dynamic_shapes=dyn,
        opset_version=18, dynamo=True, optimize=True)
m = program.model_proto
g = m.graph
users = {}
for n in g.node:
    for i in n.input:
        users.setdefault(i, set()).add(n.op_type)
keep, deq, fused = [], [], {}
for init in g.initializer:
    w = numpy_helper.to_array(init)
    ops = users.get(init.name, set())
    if w.dtype != np.float32 or w.ndim != 2 or w.size < 65536 or not ops <= {"MatMul", "Gather"}:
        keep.append(init)
        continue
    name = init.name
    if ops == {"MatMul"}:
        # MatMulNBits layout: B[n, k // BLOCK, BLOCK] as uint8 (q + 128, its default zero
        # point at 8 bits), scales[n, k // BLOCK]
        k, n = w.shape
        wb = w.T.reshape(n, k // BLOCK, BLOCK)
        scale = np.abs(wb).max(axis=2, keepdims=True) / 127.0
        scale[scale == 0] = 1.0
        q = np.clip(np.rint(wb / scale), -127, 127).astype(np.int16) + 128
        keep += [numpy_helper.from_array(q.astype(np.uint8), name + "_q8"),
                 numpy_helper.from_array(scale.reshape(n, k // BLOCK).astype(np.float32),
                                         name + "_scale")]
        fused[name] = (k, n)
        continue
    scale = np.abs(w).max(axis=1, keepdims=True) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
    keep += [numpy_helper.from_array(q, name + "_q8"),
             numpy_helper.from_array(scale.astype(np.float32), name + "_scale")]
    deq += [helper.make_node("Cast", [name + "_q8"], [name + "_f"], to=TensorProto.FLOAT),
            helper.make_node("Mul", [name + "_f", name + "_scale"], [name])]
body = []
for node in g.node:
    if node.op_type == "MatMul" and node.input[1] in fused:
        k, n = fused[node.input[1]]
        w = node.input[1]
        node = helper.make_node(
            "MatMulNBits", [node.input[0], w + "_q8", w + "_scale"], list(node.output),
            name=node.name, domain="com.microsoft", K=k, N=n, bits=8, block_size=BLOCK,
            accuracy_level=4)
    body.append(node)
nodes = deq + body
for node in nodes:  # the exporter's per-node debug data (stack traces, local paths)
    del node.metadata_props[:]
    node.doc_string = ""
del g.initializer[:], g.node[:]
g.initializer.extend(keep)
g.node.extend(nodes)
m.opset_import.append(helper.make_opsetid("com.microsoft", 1))
onnx.helper.set_model_props(m, {
    "source": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), model.safetensors sha256 "
              "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db, fine-tuned "
              "on CN 2023 / HS 2022 text pairs (smartcustoms tools/minilm/finetune.py)",
    "output": "last_hidden_state; mean-pool over attention_mask and L2-normalise",
    "weights": f"int8, symmetric; MatMul: MatMulNBits, per column per {BLOCK} rows, int8 "
               "compute (accuracy_level 4); embeddings: per row, rebuilt when loaded",
})
onnx.checker.check_model(m)
onnx.save(m, OUT)
tables = sum(n.op_type == "Cast" for n in deq)
print("wrote", OUT, len(fused), "MatMulNBits,", tables, "tables int8")
