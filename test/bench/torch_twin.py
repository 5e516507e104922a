"""PyTorch CPU twin of the gated indicator transformer (src/model/nets.ts), for timing only.

Same architecture, sizes, batch and epoch structure as trainModel: indicator tokens
x_i * value_i + embed_i; a context token Linear(GELU(Linear(context))); gates
sigmoid(Linear(context token)); pre-norm self-attention + FFN layers, the last one with the
context token as the only query and gate-scaled values (no residual from the query), FFN,
Linear -> 1; MSE + gate_penalty * mean(gate); Adam (bias-corrected, no weight decay) with a
global-norm clip of 1; per epoch a seeded shuffle, steps over batches, then a validation pass
in batches of 2048. Data are random with the run's shapes (timing does not depend on values).

Usage: python3 torch_twin.py '{"F":111,"C":14,"d":32,"heads":2,"layers":1,"dff":64,
        "batch":256,"train":11000,"val":2600,"epochs":3,"threads":2}'
With "factored": true the last layer uses the same factored form as nets.ts (no per-token keys
or values); with "factored": "token-free" a one-layer model also uses nets.ts's closed-form
layer norm (no [B, F, d] tensor). Prints one JSON line: {"torch": version, "threads": n, "params": count, "epoch_seconds": [...]}.
"""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as Fn


def gelu(x):
    # The same sigmoid approximation as nets.ts: x * sigmoid(1.702 x).
    return x * torch.sigmoid(1.702 * x)


class Layer(nn.Module):
    def __init__(self, d, heads, dff, last):
        super().__init__()
        self.h = heads
        self.last = last
        self.ln1 = nn.LayerNorm(d)
        self.lnq = nn.LayerNorm(d) if last else None
        self.q = nn.Linear(d, d, bias=False)
        self.k = nn.Linear(d, d, bias=False)
        self.v = nn.Linear(d, d, bias=False)
        self.out = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.ff0 = nn.Linear(d, dff)
        self.ff1 = nn.Linear(dff, d)

    def forward(self, h, ctx, gates, factored=False):
        B, T, d = h.shape
        H = self.h
        dh = d // H
        a = self.ln1(h)
        if self.last and factored:
            # The same math as nets.ts's factored last layer: no per-token keys or values.
            qh = self.q(self.lnq(ctx)).view(B, H, 1, dh)
            wk = self.k.weight.view(H, dh, d)  # torch Linear weight is [out, in]
            qk = (qh @ wk).view(B, H, d)
            attn = torch.softmax((a @ qk.transpose(1, 2)) * (1.0 / math.sqrt(dh)), dim=1)  # [B, T, H]
            pooled = (attn * gates.unsqueeze(2)).transpose(1, 2) @ a  # [B, H, d]
            wv = self.v.weight.view(H, dh, d).transpose(1, 2)  # [H, d, dh]
            h = self.out((pooled.unsqueeze(2) @ wv).reshape(B, 1, d))
            return h + self.ff1(gelu(self.ff0(self.ln2(h))))
        q_in = self.lnq(ctx).unsqueeze(1) if self.last else a
        Tq = q_in.shape[1]
        q = self.q(q_in).view(B, Tq, H, dh).transpose(1, 2)
        k = self.k(a).view(B, T, H, dh).transpose(1, 2)
        v_in = self.v(a)
        if self.last:
            v_in = v_in * gates.unsqueeze(2)
        v = v_in.view(B, T, H, dh).transpose(1, 2)
        attn = torch.softmax((q * (1.0 / math.sqrt(dh))) @ k.transpose(2, 3), dim=-1)
        mixed = self.out((attn @ v).transpose(1, 2).reshape(B, Tq, d))
        h = mixed if self.last else h + mixed
        return h + self.ff1(gelu(self.ff0(self.ln2(h))))


class Twin(nn.Module):
    def __init__(self, F, C, d, heads, layers, dff):
        super().__init__()
        self.F = F
        self.C = C
        self.value = nn.Parameter(torch.randn(F, d) / math.sqrt(d))
        self.embed = nn.Parameter(torch.randn(F, d) / math.sqrt(d))
        self.ctx0 = nn.Linear(C, d)
        self.ctx1 = nn.Linear(d, d)
        self.gate = nn.Linear(d, F)
        self.layers = nn.ModuleList([Layer(d, heads, dff, l == layers - 1) for l in range(layers)])
        self.head = nn.Linear(d, 1)

    def token_free(self, xi, ctx, gates):
        # The same closed-form first layer norm as nets.ts's oneLayerTokenFree (one layer only).
        L = self.layers[0]
        B, F = xi.shape
        d = self.value.shape[1]
        H = L.h
        dh = d // H
        Vc = self.value - self.value.mean(-1, keepdim=True)
        Ec = self.embed - self.embed.mean(-1, keepdim=True)
        A, Bc, Cc = (Vc * Vc).mean(-1), (Vc * Ec).mean(-1), (Ec * Ec).mean(-1)
        Vg, Eg = Vc * L.ln1.weight, Ec * L.ln1.weight
        inv = torch.rsqrt(xi * xi * A + 2 * xi * Bc + Cc + L.ln1.eps).unsqueeze(1)  # [B, 1, F]
        qh = L.q(L.lnq(ctx)).view(B, H, 1, dh)
        qk = (qh @ L.k.weight.view(H, dh, d)).view(B, H, d)
        xI = xi.unsqueeze(1)
        scores = (xI * (qk @ Vg.t()) + qk @ Eg.t()) * inv + (qk * L.ln1.bias).sum(-1, keepdim=True)
        attn = torch.softmax(scores * (1.0 / math.sqrt(dh)), dim=-1)
        w = attn * gates.unsqueeze(1)
        wInv = w * inv
        pooled = (wInv * xI) @ Vg + wInv @ Eg + w.sum(-1, keepdim=True) * L.ln1.bias
        h = L.out((pooled.unsqueeze(2) @ L.v.weight.view(H, dh, d).transpose(1, 2)).reshape(B, d))
        return h + L.ff1(gelu(L.ff0(L.ln2(h))))

    def forward(self, x, factored=False):
        xi = x[:, : self.F]
        ctx = self.ctx1(gelu(self.ctx0(x[:, self.F : self.F + self.C])))
        gates = torch.sigmoid(self.gate(ctx))
        if factored == "token-free" and len(self.layers) == 1:
            return self.head(self.token_free(xi, ctx, gates)).reshape(-1), gates
        h = xi.unsqueeze(2) * self.value + self.embed
        for layer in self.layers:
            h = layer(h, ctx, gates, factored)
        return self.head(h.reshape(h.shape[0], -1)).reshape(-1), gates


def main():
    a = json.loads(sys.argv[1])
    torch.set_num_threads(int(a.get("threads", 2)))
    torch.manual_seed(1)
    F, C = a["F"], a["C"]
    model = Twin(F, C, a["d"], a["heads"], a["layers"], a["dff"])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    g = torch.Generator().manual_seed(2)
    Xtr = torch.randn(a["train"], F + C, generator=g)
    ytr = torch.randn(a["train"], generator=g)
    Xva = torch.randn(a["val"], F + C, generator=g)
    batch = a["batch"]
    penalty = a.get("gate_penalty", 0.01)
    factored = a.get("factored", False)  # False | True | "token-free" (one layer)
    out = []
    for _ in range(a["epochs"]):
        t0 = time.perf_counter()
        model.train()
        order = torch.randperm(a["train"], generator=g)
        for s in range(0, a["train"], batch):
            idx = order[s : s + batch]
            pred, gates = model(Xtr[idx], factored)
            loss = Fn.mse_loss(pred, ytr[idx]) + penalty * gates.mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        model.eval()
        with torch.no_grad():
            for s in range(0, a["val"], 2048):
                model(Xva[s : s + 2048], factored)
        out.append(time.perf_counter() - t0)
    print(json.dumps({"factored": factored, "torch": torch.__version__, "threads": torch.get_num_threads(), "params": sum(p.numel() for p in model.parameters()), "epoch_seconds": out}))


if __name__ == "__main__":
    main()
