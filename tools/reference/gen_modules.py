"""Oracle values for Forge.Nn modules: PyTorch 1.13 layers with their weights, inputs, outputs and gradients.

Each case holds "state" (the module's state dict under Forge's names: nn.MultiheadAttention's stacked in_proj_weight and
in_proj_bias are split into q_proj, k_proj and v_proj, as Forge's MultiHeadAttention stores them), "inputs", the upstream
gradients "g_<output>", the outputs, and the gradients PyTorch computes for sum(output * g) over the inputs ("grad_inputs")
and the parameters ("grad_state"). Masks are stored with Forge's meaning (true = may attend, true = real token), the
opposite of nn.MultiheadAttention's Bool masks. Modules run in training mode with dropout 0, so no fast path is taken.
"""
import torch
import torch.nn as nn

from common import save

torch.manual_seed(2)


def forge_names(state):
    """A PyTorch state dict (or its gradients) under Forge's names."""
    result = {}
    for name, value in state.items():
        prefix, _, leaf = name.rpartition(".")
        dot = prefix + "." if prefix else ""
        if leaf in ("in_proj_weight", "in_proj_bias"):
            kind = "weight" if leaf.endswith("weight") else "bias"
            for part, chunk in zip(("q_proj", "k_proj", "v_proj"), value.chunk(3)):
                result[f"{dot}{part}.{kind}"] = chunk
        elif leaf in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
            result[f"{dot}{leaf[:-7]}.weight"] = value
        else:
            result[name] = value
    return result


def randomize(module, scale=0.5):
    """Replaces every floating-point parameter with random values, so no default (ones, zeros) hides a mistake."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape) * scale)


def run(module, inputs, forward):
    """Runs forward(module, **leaves), backpropagates random upstream gradients and collects everything."""
    leaves = {k: (v.clone().requires_grad_(True) if v.dtype == torch.float32 else v) for k, v in inputs.items()}
    state = forge_names({k: v.detach().clone() for k, v in module.state_dict().items()})
    outputs = forward(module, **leaves)
    loss = 0
    case = {"state": state, "inputs": inputs}
    for name, out in outputs.items():
        g = torch.randn(out.shape)
        loss = loss + (out * g).sum()
        case["g_" + name] = g
        case[name] = out
    loss.backward()
    case["grad_inputs"] = {k: v.grad.clone() for k, v in leaves.items() if v.dtype == torch.float32}
    case["grad_state"] = forge_names({n: p.grad.clone() for n, p in module.named_parameters()})
    return case


def out_only(module, x):
    return {"out": module(x)}


cases = {}

linear = nn.Linear(5, 4)
cases["linear"] = run(linear, {"x": torch.randn(2, 3, 5)}, out_only)

layer_norm = nn.LayerNorm(6)
randomize(layer_norm)
cases["layer_norm"] = run(layer_norm, {"x": torch.randn(2, 3, 6) * 2 + 1}, out_only)

conv = nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2)
cases["conv2d_groups"] = run(conv, {"x": torch.randn(2, 4, 7, 6)}, out_only)

bn = nn.BatchNorm2d(3, momentum=0.2)
randomize(bn)
with torch.no_grad():
    bn.running_mean.copy_(torch.randn(3))
    bn.running_var.copy_(torch.rand(3) + 0.5)
bn.train()
case = run(bn, {"x": torch.randn(4, 3, 5, 5) * 2 + 1}, out_only)
case["running_after"] = {k: v.clone() for k, v in bn.state_dict().items() if k.startswith("running") or k.startswith("num")}
cases["batch_norm2d_train"] = case
bn.eval()
bn.zero_grad(set_to_none=True)
cases["batch_norm2d_eval"] = run(bn, {"x": torch.randn(2, 3, 4, 4)}, out_only)


def attention_forward(needs_average=True):
    def forward(module, query, key, value, **masks):
        torch_masks = {}
        if "attn_mask" in masks:
            torch_masks["attn_mask"] = ~masks["attn_mask"]
        if "key_padding_mask" in masks:
            torch_masks["key_padding_mask"] = ~masks["key_padding_mask"]
        out, weights = module(query, key, value, need_weights=True, average_attn_weights=needs_average, **torch_masks)
        return {"out": out, "weights": weights}
    return forward


def causal(length):
    return torch.ones(length, length, dtype=torch.bool).tril()


def real_tokens(lengths, total):
    return torch.arange(total)[None, :] < torch.tensor(lengths)[:, None]


mha = nn.MultiheadAttention(8, 2, batch_first=True)
randomize(mha)
x = torch.randn(3, 5, 8)
cases["mha_self_causal_padding"] = run(mha, {"query": x, "key": x.clone(), "value": x.clone(),
                                             "attn_mask": causal(5), "key_padding_mask": real_tokens([5, 3, 4], 5)},
                                       attention_forward())
mha.zero_grad(set_to_none=True)
cases["mha_cross_padding_per_head"] = run(mha, {"query": torch.randn(2, 4, 8), "key": torch.randn(2, 6, 8), "value": torch.randn(2, 6, 8),
                                                "key_padding_mask": real_tokens([6, 2], 6)},
                                          attention_forward(needs_average=False))
mha_kv = nn.MultiheadAttention(8, 4, batch_first=True, kdim=5, vdim=3)
randomize(mha_kv)
cases["mha_cross_kdim_vdim"] = run(mha_kv, {"query": torch.randn(2, 3, 8), "key": torch.randn(2, 4, 5), "value": torch.randn(2, 4, 3)},
                                   attention_forward())


def encoder_forward(module, src, **masks):
    mask_name = "mask" if isinstance(module, nn.TransformerEncoder) else "src_mask"
    return {"out": module(src, **{mask_name: ~masks["mask"] if "mask" in masks else None},
                          src_key_padding_mask=~masks["key_padding_mask"] if "key_padding_mask" in masks else None)}


for norm_first in (False, True):
    for activation in ("relu", "gelu"):
        layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation=activation,
                                           batch_first=True, norm_first=norm_first)
        randomize(layer)
        name = f"encoder_layer_{'pre' if norm_first else 'post'}_norm_{activation}"
        cases[name] = run(layer, {"src": torch.randn(2, 5, 8), "key_padding_mask": real_tokens([5, 3], 5)}, encoder_forward)

causal_layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True, norm_first=True)
randomize(causal_layer)
cases["encoder_layer_causal"] = run(causal_layer, {"src": torch.randn(2, 5, 8), "mask": causal(5)}, encoder_forward)

encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True),
                                num_layers=2, norm=nn.LayerNorm(8), enable_nested_tensor=False)
randomize(encoder)
cases["encoder_stack"] = run(encoder, {"src": torch.randn(2, 4, 8), "key_padding_mask": real_tokens([4, 2], 4)}, encoder_forward)


def decoder_forward(module, tgt, memory, **masks):
    return {"out": module(tgt, memory, tgt_mask=~masks["tgt_mask"], memory_key_padding_mask=~masks["memory_key_padding_mask"])}


for norm_first in (False, True):
    layer = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation="gelu", batch_first=True, norm_first=norm_first)
    randomize(layer)
    name = f"decoder_layer_{'pre' if norm_first else 'post'}_norm"
    cases[name] = run(layer, {"tgt": torch.randn(2, 4, 8), "memory": torch.randn(2, 6, 8),
                              "tgt_mask": causal(4), "memory_key_padding_mask": real_tokens([6, 4], 6)}, decoder_forward)

save("modules", cases)
