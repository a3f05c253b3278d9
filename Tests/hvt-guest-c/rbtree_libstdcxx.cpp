// An oracle test of the red-black tree functions: libstdc++'s own std::_Rb_tree (the tree behind
// std::map and std::set), compiled here, calls Sources/CMirageHVTGuest/runtime/rbtree.c for insertion and
// for stepping backwards, and libstdc++'s library code for everything else (erase, increment).
// If rbtree.c disagreed with libstdc++ about node layout, header conventions or colours,
// _Rb_tree::__rb_verify() (libstdc++'s own invariant check) or the iteration would fail.
//
// Calls from this program's code bind to the definitions linked into it (rbtree.o), not to
// libstdc++.so's; main() checks that they do. This is only a test: the guest links no libstdc++.
#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <cstdio>
#include <functional>
#include <random>
#include <set>
#include <vector>

using Tree = std::_Rb_tree<long, long, std::_Identity<long>, std::less<long>>;

static int passed = 0, failed = 0;

static void report(const char *name, bool ok) {
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", name);
    (ok ? passed : failed)++;
}

/// Walks the tree backwards with operator-- from end(). A mutable iterator, whose operator--
/// calls _Rb_tree_decrement(_Rb_tree_node_base*), the overload the concurrency runtime uses (a
/// const_iterator would call the const overload, from libstdc++.so).
static bool backwards_matches(Tree &tree, const std::vector<long> &sorted) {
    auto cursor = tree.end();
    for (auto expected = sorted.rbegin(); expected != sorted.rend(); ++expected) {
        if (cursor == tree.begin()) return false;
        --cursor;
        if (*cursor != *expected) return false;
    }
    return cursor == tree.begin();
}

/// Whether `function` lives in this program rather than in libstdc++.so.
static bool defined_here(void *function) {
    Dl_info info;
    return dladdr(function, &info) != 0 && std::strstr(info.dli_fname, "libstdc++") == nullptr;
}

int main() {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    std::mt19937_64 random(12345);

    using Insert = void (*)(bool, std::_Rb_tree_node_base *, std::_Rb_tree_node_base *, std::_Rb_tree_node_base &);
    using Decrement = std::_Rb_tree_node_base *(*)(std::_Rb_tree_node_base *);
    report("the tree code here calls rbtree.c, not libstdc++.so",
           defined_here(reinterpret_cast<void *>(static_cast<Insert>(&std::_Rb_tree_insert_and_rebalance))) &&
               defined_here(reinterpret_cast<void *>(static_cast<Decrement>(&std::_Rb_tree_decrement))));

    {
        Tree tree;
        std::vector<long> keys;
        bool ok = true;
        for (int i = 0; i < 20000 && ok; i++) {
            long key = static_cast<long>(random() % 5000);
            tree._M_insert_equal(key);
            keys.push_back(key);
            if (i % 997 == 0) ok = tree.__rb_verify();
        }
        std::sort(keys.begin(), keys.end());
        ok = ok && tree.__rb_verify() && std::equal(tree.begin(), tree.end(), keys.begin(), keys.end());
        report("libstdc++ _Rb_tree accepts 20000 insertions made by rbtree.c", ok);
        report("operator-- (rbtree.c's decrement) walks the multiset backwards", backwards_matches(tree, keys));
    }
    {
        // Insertions interleaved with libstdc++'s own erase (_Rb_tree_rebalance_for_erase).
        Tree tree;
        std::multiset<long> model;
        bool ok = true;
        for (int i = 0; i < 30000 && ok; i++) {
            long key = static_cast<long>(random() % 2000);
            if (random() % 3 != 0 || tree.size() == 0) {
                tree._M_insert_equal(key);
                model.insert(key);
            } else {
                tree.erase(key);
                model.erase(key);
            }
            if (i % 499 == 0) ok = tree.__rb_verify() && tree.size() == model.size();
        }
        std::vector<long> sorted(model.begin(), model.end());
        ok = ok && tree.__rb_verify() && std::equal(tree.begin(), tree.end(), sorted.begin(), sorted.end());
        report("insertions by rbtree.c and erasures by libstdc++ keep one valid tree", ok);
        report("operator-- after erasures walks the tree backwards", backwards_matches(tree, sorted));
    }
    {
        Tree tree;
        for (long key = 0; key < 10000; key++) tree._M_insert_unique(key);
        std::vector<long> keys(10000);
        for (long key = 0; key < 10000; key++) keys[key] = key;
        report("ascending unique insertions stay balanced and ordered",
               tree.__rb_verify() && backwards_matches(tree, keys));
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
