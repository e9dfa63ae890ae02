#include "models/workload/transformer.hpp"

#include <map>

namespace dcsim::workload {

double TransformerSpec::attention_params() const {
  const double h = double(hidden);
  return h * (h + 2.0 * double(kv_dim())) + h * h;
}
double TransformerSpec::dense_mlp_params() const { return mlp_matrices() * double(hidden) * double(ffn); }
double TransformerSpec::expert_params() const { return mlp_matrices() * double(hidden) * double(expert_ffn); }
double TransformerSpec::embedding_params() const {
  return double(vocab) * double(hidden) * (tied_embeddings ? 1.0 : 2.0);
}

double TransformerSpec::total_params() const {
  const double norms = 2.0 * double(hidden);
  const double moe_l = double(moe_layers()), dense_l = double(layers) - moe_l;
  const double router = double(hidden) * double(experts);
  return embedding_params() + double(layers) * (attention_params() + norms) + dense_l * dense_mlp_params() +
         moe_l * (double(experts) * expert_params() + router);
}

double TransformerSpec::active_params() const {
  const double moe_l = double(moe_layers()), dense_l = double(layers) - moe_l;
  return embedding_params() + double(layers) * (attention_params() + 2.0 * double(hidden)) +
         dense_l * dense_mlp_params() + moe_l * double(top_k) * expert_params();
}

double TransformerSpec::model_flops_per_token() const {
  const double moe_l = double(moe_layers()), dense_l = double(layers) - moe_l;
  const double matmul_params = double(layers) * attention_params() + dense_l * dense_mlp_params() +
                               moe_l * double(top_k) * expert_params() + double(vocab) * double(hidden);
  return 6.0 * matmul_params + 12.0 * double(layers) * double(seq_len) * double(hidden);
}

const std::vector<std::string>& model_preset_names() {
  static const std::vector<std::string> names = {"gpt3-175b",   "llama2-13b",   "llama2-70b",   "llama3-8b",
                                                 "llama3-70b",  "llama3-405b",  "bloom-176b",   "mixtral-8x7b",
                                                 "nemotron-340b", "frontier-moe-1.4t"};
  return names;
}

std::optional<TransformerSpec> model_preset(const std::string& name) {
  // Shapes from shared/reference/calibration_runs.md and the models' papers.
  using A = Activation;
  static const std::map<std::string, TransformerSpec> presets = {
      // Megatron pads GPT-3's 50,257-token vocabulary to 51,200; 4h GeLU MLP, tied embeddings.
      {"gpt3-175b", {"gpt3-175b", 96, 12288, 49152, 96, 96, 51200, 2048, A::Gelu, true}},
      {"llama2-13b", {"llama2-13b", 40, 5120, 13824, 40, 40, 32000, 4096, A::SwiGlu, false}},
      {"llama2-70b", {"llama2-70b", 80, 8192, 28672, 64, 8, 32000, 4096, A::SwiGlu, false}},
      {"llama3-8b", {"llama3-8b", 32, 4096, 14336, 32, 8, 128256, 8192, A::SwiGlu, false}},
      {"llama3-70b", {"llama3-70b", 80, 8192, 28672, 64, 8, 128256, 8192, A::SwiGlu, false}},
      {"llama3-405b", {"llama3-405b", 126, 16384, 53248, 128, 8, 128256, 8192, A::SwiGlu, false}},
      // BLOOM's 250,680-token vocabulary padded to a multiple of 128 x TP.
      {"bloom-176b", {"bloom-176b", 70, 14336, 57344, 112, 112, 250880, 2048, A::Gelu, true}},
      {"mixtral-8x7b", {"mixtral-8x7b", 32, 4096, 14336, 32, 8, 32000, 4096, A::SwiGlu, false, 8, 2, 14336, 1}},
      // Nemotron-4 340B: squared-ReLU MLP (two matrices), 256k vocabulary.
      {"nemotron-340b", {"nemotron-340b", 96, 18432, 73728, 96, 8, 256000, 4096, A::SquaredRelu, false}},
      // Our assumed frontier-scale MoE (docs/training.md): 96 layers, every MLP a layer of
      // 16 SwiGLU experts of 24,576, top-2: ~1.4 T parameters, ~0.2 T active per token.
      {"frontier-moe-1.4t",
       {"frontier-moe-1.4t", 96, 12288, 49152, 96, 8, 128256, 8192, A::SwiGlu, false, 16, 2, 24576, 1}},
  };
  auto it = presets.find(name);
  if (it == presets.end()) return std::nullopt;
  TransformerSpec spec = it->second;
  // Llama, Mixtral, Nemotron-4 and our frontier MoE use rotary embeddings; GPT-3 learned
  // positions, BLOOM ALiBi.
  spec.rotary = name != "gpt3-175b" && name != "bloom-176b";
  spec.dropout = name == "gpt3-175b" || name == "bloom-176b";
  return spec;
}

}  // namespace dcsim::workload
