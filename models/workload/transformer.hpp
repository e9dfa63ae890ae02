#pragma once
// Transformer shapes, parameter counts and FLOPs (docs/training.md).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dcsim::workload {

// MLP activation: GeLU and squared ReLU (Nemotron-4) are one-input elementwise functions of a
// two-matrix MLP, timed alike (layer_ops.cpp); SwiGLU gates a third matrix.
enum class Activation { Gelu, SquaredRelu, SwiGlu };

struct TransformerSpec {
  std::string name;
  std::int64_t layers = 0;
  std::int64_t hidden = 0;
  std::int64_t ffn = 0;        // dense MLP inner size
  std::int64_t heads = 0;
  std::int64_t kv_heads = 0;   // = heads without GQA
  std::int64_t vocab = 0;
  std::int64_t seq_len = 0;
  Activation activation = Activation::Gelu;
  bool tied_embeddings = false;
  // Mixture of experts: every `moe_every`-th layer (1: all) replaces its MLP by `experts`
  // experts of size `expert_ffn`, each token routed to `top_k` of them.
  std::int64_t experts = 0;
  std::int64_t top_k = 1;
  std::int64_t expert_ffn = 0;
  std::int64_t moe_every = 1;
  // Position encoding: rotary (RoPE, applied to Q and K in every layer) or none in the layers
  // (learned or ALiBi, whose cost is negligible here).
  bool rotary = false;
  // Hidden dropout (after attention and MLP): a 1-byte mask per element, saved and read back.
  // GPT-3 and BLOOM train with it; Llama, Mixtral and Nemotron-4 set it to 0, which stores nothing.
  bool dropout = false;

  bool moe() const { return experts > 0; }
  bool is_moe_layer(std::int64_t layer) const { return moe() && (layer % moe_every) == moe_every - 1; }
  std::int64_t moe_layers() const { return moe() ? layers / moe_every : 0; }
  std::int64_t kv_dim() const { return hidden / heads * kv_heads; }
  std::int64_t head_dim() const { return hidden / heads; }
  double mlp_matrices() const { return activation == Activation::SwiGlu ? 3.0 : 2.0; }

  double attention_params() const;   // per layer: QKV and output projections
  double dense_mlp_params() const;   // per dense layer
  double expert_params() const;      // one expert
  double embedding_params() const;   // input embedding (+ output layer when untied)
  double total_params() const;
  double active_params() const;      // touched per token (top_k experts)
  // Model FLOPs per token, forward + backward: 6 x matmul parameters each token touches
  // (including the output layer), plus attention scores and values: 12 x layers x seq x hidden.
  double model_flops_per_token() const;
};

// Presets: gpt3-175b, llama2-13b, llama2-70b, llama3-8b, llama3-70b, llama3-405b, bloom-176b,
// mixtral-8x7b, nemotron-340b, frontier-moe-1.4t.
std::optional<TransformerSpec> model_preset(const std::string& name);
const std::vector<std::string>& model_preset_names();

}  // namespace dcsim::workload
