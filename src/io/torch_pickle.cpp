#include "wgan/io/torch_pickle.h"

#include <caffe2/serialize/inline_container.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <iterator>
#include <cstring>
#include <fstream>
#include <memory>
#include <variant>

#include "wgan/io/zip_records.h"
#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"
#include "wgan/util/printable.h"

namespace wgan {
namespace {

struct Value;
using ValuePtr = std::shared_ptr<Value>;

// The pickle values torch.save produces; anything else becomes an opaque object.
struct Value {
  enum class Kind {
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kTuple,
    kList,
    kDict,
    kGlobal,
    kTensor,
    kStorage,
    kObject,
    kMark
  };
  Kind kind = Kind::kNone;
  int64_t i = 0;
  double f = 0;
  std::string s;                                     // string, global "module name", storage key
  std::vector<ValuePtr> items;                       // tuple, list
  std::vector<std::pair<ValuePtr, ValuePtr>> dict;   // dict (insertion order)
  torch::Tensor tensor;                              // tensor, storage
};

ValuePtr make(Value::Kind kind) {
  auto v = std::make_shared<Value>();
  v->kind = kind;
  return v;
}

[[noreturn]] void bad(const std::string& why) { throw UserError("malformed PyTorch pickle: " + why); }

// The only callables a torch.save'd state dict needs; the unpickler builds their results itself
// and never calls anything.
const char* const kAcceptedCallables[] = {"collections OrderedDict", "torch._utils _rebuild_tensor_v2",
                                          "torch._utils _rebuild_parameter"};

torch::ScalarType dtype_of_storage(const std::string& global) {
  static const std::map<std::string, torch::ScalarType> types = {
      {"torch FloatStorage", torch::kFloat32}, {"torch DoubleStorage", torch::kFloat64},
      {"torch HalfStorage", torch::kFloat16},  {"torch BFloat16Storage", torch::kBFloat16},
      {"torch LongStorage", torch::kInt64},    {"torch IntStorage", torch::kInt32},
      {"torch ShortStorage", torch::kInt16},   {"torch CharStorage", torch::kInt8},
      {"torch ByteStorage", torch::kUInt8},    {"torch BoolStorage", torch::kBool}};
  auto it = types.find(global);
  if (it == types.end()) bad("unsupported storage type " + printable(global));
  return it->second;
}

std::vector<int64_t> int_tuple(const ValuePtr& v, const char* what) {
  if (v->kind != Value::Kind::kTuple) bad(std::string(what) + " is not a tuple");
  std::vector<int64_t> out;
  for (const auto& item : v->items) {
    if (item->kind != Value::Kind::kInt) bad(std::string(what) + " holds a non-integer");
    out.push_back(item->i);
  }
  return out;
}

// _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks, ...)
ValuePtr rebuild_tensor(const ValuePtr& args) {
  if (args->kind != Value::Kind::kTuple || args->items.size() < 4) bad("_rebuild_tensor_v2 needs 4+ arguments");
  const auto& storage = args->items[0];
  if (storage->kind != Value::Kind::kStorage) bad("_rebuild_tensor_v2 without a storage");
  if (args->items[1]->kind != Value::Kind::kInt) bad("tensor offset is not an integer");
  const int64_t offset = args->items[1]->i;
  const auto size = int_tuple(args->items[2], "tensor size");
  const auto stride = int_tuple(args->items[3], "tensor stride");
  if (size.size() != stride.size()) bad("tensor size and stride differ in length");
  // The view must stay inside its storage and hold no more elements than it (128-bit arithmetic:
  // a hostile file must not overflow its way past these checks).
  __int128 last = offset, count = 1;
  for (size_t d = 0; d < size.size(); ++d) {
    if (size[d] < 0 || stride[d] < 0) bad("negative tensor size or stride");
    count *= size[d];
    if (count > storage->tensor.numel()) bad("tensor larger than its storage");
    if (size[d] > 0) last += static_cast<__int128>(size[d] - 1) * stride[d];
  }
  if (offset < 0 || (count > 0 && last >= storage->tensor.numel())) bad("tensor view exceeds its storage");
  auto v = make(Value::Kind::kTensor);
  v->tensor = storage->tensor.as_strided(size, stride, offset).clone();
  return v;
}

class Unpickler {
 public:
  Unpickler(const std::string& data, const StorageLoader& loader) : data_(data), loader_(loader) {}

  ValuePtr run() {
    while (true) {
      const uint8_t op = u8();
      switch (op) {
        case 0x80: u8(); break;                                   // PROTO
        case 0x95: take(8); break;                                // FRAME
        case '.': return pop();                                   // STOP
        case '(': stack_.push_back(make(Value::Kind::kMark)); break;
        case 'N': stack_.push_back(make(Value::Kind::kNone)); break;
        case 0x88: case 0x89: {                                   // NEWTRUE / NEWFALSE
          auto v = make(Value::Kind::kBool);
          v->i = op == 0x88;
          stack_.push_back(v);
          break;
        }
        case 'J': push_int(static_cast<int32_t>(le(4))); break;   // BININT
        case 'K': push_int(static_cast<int64_t>(le(1))); break;   // BININT1
        case 'M': push_int(static_cast<int64_t>(le(2))); break;   // BININT2
        case 0x8a: {                                              // LONG1
          const size_t n = u8();
          if (n > 8) bad("integer wider than 64 bits");
          uint64_t raw = n ? le(n) : 0;
          if (n && n < 8 && (raw >> (8 * n - 1)) & 1) raw |= ~uint64_t{0} << (8 * n);  // sign-extend
          push_int(static_cast<int64_t>(raw));
          break;
        }
        case 'G': {                                               // BINFLOAT (big-endian double)
          uint64_t bits = 0;
          for (int k = 0; k < 8; ++k) bits = (bits << 8) | u8();
          auto v = make(Value::Kind::kFloat);
          std::memcpy(&v->f, &bits, 8);
          stack_.push_back(v);
          break;
        }
        case 'X': push_string(take(le(4))); break;                // BINUNICODE
        case 0x8c: push_string(take(u8())); break;                // SHORT_BINUNICODE
        case 'U': push_string(take(u8())); break;                 // SHORT_BINSTRING
        case 'c': {                                               // GLOBAL "module\nname\n"
          auto v = make(Value::Kind::kGlobal);
          const std::string module = line();  // two statements: the order of the reads matters
          v->s = module + " " + line();
          stack_.push_back(v);
          break;
        }
        case ')': stack_.push_back(make(Value::Kind::kTuple)); break;
        case ']': stack_.push_back(make(Value::Kind::kList)); break;
        case '}': stack_.push_back(make(Value::Kind::kDict)); break;
        case 't': case 'l': {                                     // TUPLE / LIST from the mark
          auto v = make(op == 't' ? Value::Kind::kTuple : Value::Kind::kList);
          v->items = pop_to_mark();
          stack_.push_back(v);
          break;
        }
        case 0x85: case 0x86: case 0x87: {                        // TUPLE1..3
          auto v = make(Value::Kind::kTuple);
          const size_t n = op - 0x84;
          if (stack_.size() < n) bad("stack underflow");
          v->items.assign(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
          stack_.resize(stack_.size() - n);
          stack_.push_back(v);
          break;
        }
        case 'd': {                                               // DICT from the mark
          auto items = pop_to_mark();
          auto v = make(Value::Kind::kDict);
          if (items.size() % 2) bad("odd number of dict items");
          for (size_t k = 0; k < items.size(); k += 2) v->dict.emplace_back(items[k], items[k + 1]);
          stack_.push_back(v);
          break;
        }
        case 's': {                                               // SETITEM
          auto value = pop(), key = pop();
          target(Value::Kind::kDict)->dict.emplace_back(key, value);
          break;
        }
        case 'u': {                                               // SETITEMS
          auto items = pop_to_mark();
          if (items.size() % 2) bad("odd number of dict items");
          auto dict = target(Value::Kind::kDict);
          for (size_t k = 0; k < items.size(); k += 2) dict->dict.emplace_back(items[k], items[k + 1]);
          break;
        }
        case 'a': {                                               // APPEND
          auto value = pop();
          target(Value::Kind::kList)->items.push_back(value);
          break;
        }
        case 'e': {                                               // APPENDS
          auto items = pop_to_mark();
          auto list = target(Value::Kind::kList);
          list->items.insert(list->items.end(), items.begin(), items.end());
          break;
        }
        case 'q': memo_put(le(1)); break;                         // BINPUT
        case 'r': memo_put(le(4)); break;                         // LONG_BINPUT
        case 0x94: memo_put(memo_.size()); break;                 // MEMOIZE
        case 'h': memo_get(le(1)); break;                         // BINGET
        case 'j': memo_get(le(4)); break;                         // LONG_BINGET
        case 'Q': persistent_load(); break;                       // BINPERSID
        case 'R': case 0x81: {                                    // REDUCE / NEWOBJ
          auto args = pop(), callable = pop();
          stack_.push_back(reduce(callable, args));
          break;
        }
        case 'b': pop(); break;                                   // BUILD: object state (OrderedDict _metadata), unused
        default: {
          char hex[8];
          std::snprintf(hex, sizeof hex, "0x%02x", op);
          bad(std::string("unsupported opcode ") + hex + " at byte " + std::to_string(pos_ - 1));
        }
      }
      if (stack_.size() > 1000000) bad("stack too deep");
    }
  }

 private:
  uint8_t u8() {
    if (pos_ >= data_.size()) bad("unexpected end of data");
    return static_cast<uint8_t>(data_[pos_++]);
  }
  uint64_t le(size_t n) {
    uint64_t v = 0;
    for (size_t k = 0; k < n; ++k) v |= uint64_t{u8()} << (8 * k);
    return v;
  }
  std::string take(uint64_t n) {
    if (n > data_.size() - pos_) bad("string runs past the end");
    std::string s = data_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::string line() {
    const size_t end = data_.find('\n', pos_);
    if (end == std::string::npos) bad("unterminated GLOBAL");
    std::string s = data_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }
  void push_int(int64_t i) {
    auto v = make(Value::Kind::kInt);
    v->i = i;
    stack_.push_back(v);
  }
  void push_string(std::string s) {
    auto v = make(Value::Kind::kString);
    v->s = std::move(s);
    stack_.push_back(v);
  }
  ValuePtr pop() {
    if (stack_.empty()) bad("stack underflow");
    auto v = stack_.back();
    stack_.pop_back();
    if (v->kind == Value::Kind::kMark) bad("unexpected mark");
    return v;
  }
  ValuePtr target(Value::Kind kind) {
    if (stack_.empty() || stack_.back()->kind != kind) bad("item added to a non-container");
    return stack_.back();
  }
  std::vector<ValuePtr> pop_to_mark() {
    for (size_t k = stack_.size(); k-- > 0;) {
      if (stack_[k]->kind == Value::Kind::kMark) {
        std::vector<ValuePtr> items(stack_.begin() + static_cast<std::ptrdiff_t>(k) + 1, stack_.end());
        stack_.resize(k);
        return items;
      }
    }
    bad("no mark on the stack");
  }
  void memo_put(uint64_t key) {
    if (stack_.empty()) bad("memoize with an empty stack");
    memo_[key] = stack_.back();
  }
  void memo_get(uint64_t key) {
    auto it = memo_.find(key);
    if (it == memo_.end()) bad("unknown memo key");
    stack_.push_back(it->second);
  }
  // ('storage', torch.XStorage, key, location, numel) -> the storage's data as a 1-D tensor.
  void persistent_load() {
    auto pid = pop();
    if (pid->kind != Value::Kind::kTuple || pid->items.size() < 3 || pid->items[0]->kind != Value::Kind::kString ||
        pid->items[0]->s != "storage" || pid->items[1]->kind != Value::Kind::kGlobal ||
        pid->items[2]->kind != Value::Kind::kString) {
      bad("unsupported persistent id");
    }
    const std::string& key = pid->items[2]->s;
    auto it = storages_.find(key);
    if (it == storages_.end()) {
      auto v = make(Value::Kind::kStorage);
      v->tensor = loader_(key, dtype_of_storage(pid->items[1]->s));
      it = storages_.emplace(key, v).first;
    }
    stack_.push_back(it->second);
  }
  ValuePtr reduce(const ValuePtr& callable, const ValuePtr& args) {
    if (callable->kind == Value::Kind::kGlobal &&
        std::find(std::begin(kAcceptedCallables), std::end(kAcceptedCallables), callable->s) ==
            std::end(kAcceptedCallables)) {
      // A pickle that asks to call something else (posix.system through __reduce__, say) is not a
      // state dict: say what it asked for and where, not that a tensor is missing.
      std::string name = callable->s;
      std::replace(name.begin(), name.end(), ' ', '.');
      std::string accepted;
      for (const char* a : kAcceptedCallables) accepted += (accepted.empty() ? "" : ", ") + std::string(a);
      std::replace(accepted.begin(), accepted.end(), ' ', '.');
      throw UserError("the pickle asks to call " + printable(name) + " (opcode at byte " + std::to_string(pos_ - 1) +
                      "); wgan never runs code from a file and stopped reading there. A PyTorch state dict needs "
                      "only " + accepted);
    }
    if (callable->kind == Value::Kind::kGlobal) {
      if (callable->s == "collections OrderedDict") return make(Value::Kind::kDict);
      if (callable->s == "torch._utils _rebuild_tensor_v2") return rebuild_tensor(args);
      if (callable->s == "torch._utils _rebuild_parameter") {
        if (args->kind != Value::Kind::kTuple || args->items.empty() || args->items[0]->kind != Value::Kind::kTensor) {
          bad("_rebuild_parameter without a tensor");
        }
        return args->items[0];
      }
    }
    return make(Value::Kind::kObject);
  }

  const std::string& data_;
  const StorageLoader& loader_;
  size_t pos_ = 0;
  std::vector<ValuePtr> stack_;
  std::map<uint64_t, ValuePtr> memo_;
  std::map<std::string, ValuePtr> storages_;
};

}  // namespace

NamedTensors unpickle_tensors(const std::string& pickle, const StorageLoader& load_storage) {
  Unpickler unpickler(pickle, load_storage);
  const auto top = unpickler.run();
  NamedTensors out;
  if (top->kind == Value::Kind::kTensor) {
    out.emplace_back("", top->tensor);
  } else if (top->kind == Value::Kind::kDict) {
    for (const auto& [key, value] : top->dict) {
      if (key->kind == Value::Kind::kString && value->kind == Value::Kind::kTensor)
        out.emplace_back(key->s, value->tensor);
    }
  } else {
    bad("the file holds neither a tensor nor a dict of tensors");
  }
  return out;
}

namespace {

// Pickle protocol 2 output for the handful of opcodes a state dict needs.
class PickleWriter {
 public:
  void op(char c) { out_.push_back(c); }
  void global(const std::string& module, const std::string& name) { out_ += "c" + module + "\n" + name + "\n"; }
  void string(const std::string& s) {
    op('X');
    put_le(static_cast<uint32_t>(s.size()), 4);
    out_ += s;
  }
  void integer(int64_t v) {
    if (v >= INT32_MIN && v <= INT32_MAX) {
      op('J');
      put_le(static_cast<uint32_t>(static_cast<int32_t>(v)), 4);
    } else {
      op('\x8a');
      op(8);
      put_le(static_cast<uint64_t>(v), 8);
    }
  }
  void int_tuple(c10::IntArrayRef values) {
    op('(');
    for (int64_t v : values) integer(v);
    op('t');
  }
  void empty_ordered_dict() {
    global("collections", "OrderedDict");
    op(')');
    op('R');
  }
  const std::string& bytes() const { return out_; }

 private:
  void put_le(uint64_t v, int n) {
    for (int k = 0; k < n; ++k) out_.push_back(static_cast<char>((v >> (8 * k)) & 0xff));
  }
  std::string out_;
};

const char* storage_name(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat32: return "FloatStorage";
    case torch::kFloat64: return "DoubleStorage";
    case torch::kFloat16: return "HalfStorage";
    case torch::kBFloat16: return "BFloat16Storage";
    case torch::kInt64: return "LongStorage";
    case torch::kInt32: return "IntStorage";
    case torch::kInt16: return "ShortStorage";
    case torch::kInt8: return "CharStorage";
    case torch::kUInt8: return "ByteStorage";
    case torch::kBool: return "BoolStorage";
    default: throw UserError(std::string("cannot export tensors of type ") + c10::toString(t));
  }
}

}  // namespace

NamedTensors module_state(torch::nn::Module& module) {
  NamedTensors state;
  for (const auto& p : module.named_parameters()) state.emplace_back(p.key(), p.value());
  for (const auto& b : module.named_buffers()) state.emplace_back(b.key(), b.value());
  return state;
}

void save_torch_state_dict(const std::string& path, const NamedTensors& tensors) {
  PickleWriter p;
  p.op('\x80');
  p.op(2);
  p.empty_ordered_dict();
  p.op('(');
  std::vector<torch::Tensor> storages;
  for (const auto& [name, tensor] : tensors) {
    auto t = tensor.detach().to(torch::kCPU).contiguous();
    p.string(name);
    p.global("torch._utils", "_rebuild_tensor_v2");
    p.op('(');
    // persistent id ('storage', torch.XStorage, key, 'cpu', numel)
    p.op('(');
    p.string("storage");
    p.global("torch", storage_name(t.scalar_type()));
    p.string(std::to_string(storages.size()));
    p.string("cpu");
    p.integer(t.numel());
    p.op('t');
    p.op('Q');
    p.integer(0);                 // storage offset
    p.int_tuple(t.sizes());
    p.int_tuple(t.strides());
    p.op('\x89');                 // requires_grad = False
    p.empty_ordered_dict();       // backward hooks
    p.op('t');
    p.op('R');
    storages.push_back(t);
  }
  p.op('u');
  p.op('.');
  // The zip is built in memory (its writer cannot report a failed write), then written by ours.
  std::string bytes;
  {
    caffe2::serialize::PyTorchStreamWriter writer([&bytes](const void* data, size_t size) -> size_t {
      bytes.append(static_cast<const char*>(data), size);
      return size;
    });
    writer.writeRecord("data.pkl", p.bytes().data(), p.bytes().size());
    for (size_t k = 0; k < storages.size(); ++k) {
      writer.writeRecord("data/" + std::to_string(k), storages[k].data_ptr(), storages[k].nbytes());
    }
    writer.writeEndOfFile();
  }
  write_file_atomic(path, bytes);
}

NamedTensors load_torch_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError("cannot open " + path);
  char magic[4] = {};
  in.read(magic, 4);
  if (in.gcount() == 4 && static_cast<uint8_t>(magic[0]) == 0x80 && magic[1] == 0x02) {
    throw UserError(path + " is in PyTorch's legacy (pre-1.6) format: re-save it in Python with "
                    "torch.save(torch.load(OLD), NEW) from PyTorch 1.6 or newer");
  }
  if (in.gcount() < 4 || std::string(magic, 4) != std::string("PK\x03\x04", 4)) {
    throw UserError(path + " is not a PyTorch file (torch.save writes a zip archive)");
  }
  verify_zip_records(path, "PyTorch file");
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    if (!reader.hasRecord("data.pkl")) throw UserError(path + " has no data.pkl: not written by torch.save");
    auto [pickle_ptr, pickle_size] = reader.getRecord("data.pkl");
    const std::string pickle(static_cast<const char*>(pickle_ptr.get()), pickle_size);
    StorageLoader loader = [&](const std::string& key, torch::ScalarType dtype) {
      const std::string record = "data/" + key;
      if (!reader.hasRecord(record)) bad("missing storage record " + record);
      auto [ptr, size] = reader.getRecord(record);
      const size_t element = c10::elementSize(dtype);
      auto t = torch::empty({static_cast<int64_t>(size / element)}, torch::TensorOptions().dtype(dtype));
      std::memcpy(t.data_ptr(), ptr.get(), size / element * element);
      return t;
    };
    return unpickle_tensors(pickle, loader);
  } catch (const c10::Error& e) {
    throw UserError(path + " cannot be read as a PyTorch archive: " + e.what_without_backtrace());
  } catch (const UserError& e) {
    throw UserError(path + ": " + e.what());
  } catch (const std::exception& e) {
    throw UserError(path + " cannot be read as a PyTorch archive: " + printable(e.what(), 160));
  }
}

}  // namespace wgan
