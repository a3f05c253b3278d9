// The red-black tree functions (Sources/CMirageHVTGuest/runtime/rbtree.c), driven the way libstdc++'s
// std::map drives them: find the parent by walking down from the root, then call
// _Rb_tree_insert_and_rebalance. After the insertions, the red-black properties (CLRS 13.1) and
// the header's links are checked by walking the tree, and _Rb_tree_decrement must visit every
// key in descending order starting from end().
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>

#include "check.h"
#include "rbtree.h"

struct test_node {
    struct mirage_rb_node base;  // first, as in libstdc++'s _Rb_tree_node<V>
    long key;
};

struct tree {
    struct mirage_rb_node header;
    struct test_node *nodes;
    size_t count;
};

static void tree_init(struct tree *tree, size_t capacity) {
    // An empty libstdc++ tree: a red header, no root, leftmost and rightmost the header.
    tree->header.color = MIRAGE_RB_RED;
    tree->header.parent = NULL;
    tree->header.left = &tree->header;
    tree->header.right = &tree->header;
    tree->nodes = calloc(capacity, sizeof *tree->nodes);
    tree->count = 0;
}

static long key_of(const struct mirage_rb_node *node) {
    return ((const struct test_node *)node)->key;
}

/// std::multimap's insertion: the new key goes right of equal keys.
static void tree_insert(struct tree *tree, long key) {
    struct test_node *node = &tree->nodes[tree->count++];
    node->key = key;
    struct mirage_rb_node *parent = &tree->header;
    struct mirage_rb_node *cursor = tree->header.parent;
    while (cursor != NULL) {
        parent = cursor;
        cursor = key < key_of(cursor) ? cursor->left : cursor->right;
    }
    bool insert_left = parent == &tree->header || key < key_of(parent);
    mirage_rb_insert_and_rebalance(insert_left, &node->base, parent, &tree->header);
}

/// Checks the subtree at `node`: parent links, order within (low, high), no red node with a red
/// child; returns its black height, or -1 after a failed check.
static int check_subtree(const struct mirage_rb_node *node, const struct mirage_rb_node *parent, long low,
                         long high, size_t *count) {
    if (node == NULL) return 1;
    (*count)++;
    CHECK(node->parent == parent);
    CHECK(key_of(node) >= low && key_of(node) <= high);
    CHECK(node->color == MIRAGE_RB_RED || node->color == MIRAGE_RB_BLACK);
    if (node->color == MIRAGE_RB_RED) {
        CHECK(node->left == NULL || node->left->color == MIRAGE_RB_BLACK);
        CHECK(node->right == NULL || node->right->color == MIRAGE_RB_BLACK);
    }
    int left = check_subtree(node->left, node, low, key_of(node), count);
    int right = check_subtree(node->right, node, key_of(node), high, count);
    CHECK(left == right);  // every path has the same number of black nodes
    if (left != right || left < 0) return -1;
    return left + (node->color == MIRAGE_RB_BLACK ? 1 : 0);
}

static void check_tree(const struct tree *tree) {
    const struct mirage_rb_node *root = tree->header.parent;
    CHECK(tree->header.color == MIRAGE_RB_RED);
    CHECK(root != NULL && root->color == MIRAGE_RB_BLACK);
    CHECK(root->parent == &tree->header);
    size_t count = 0;
    CHECK(check_subtree(root, &tree->header, LONG_MIN, LONG_MAX, &count) > 0);
    CHECK(count == tree->count);
    const struct mirage_rb_node *leftmost = root;
    while (leftmost->left != NULL) leftmost = leftmost->left;
    const struct mirage_rb_node *rightmost = root;
    while (rightmost->right != NULL) rightmost = rightmost->right;
    CHECK(tree->header.left == leftmost);
    CHECK(tree->header.right == rightmost);
}

static int compare_longs(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

void test_rbtree_node_layout_matches_libstdcxx(void) {
    // _Rb_tree_node_base: { _Rb_tree_color _M_color; _Base_ptr _M_parent, _M_left, _M_right; }
    CHECK(sizeof(struct mirage_rb_node) == 32);
    CHECK(offsetof(struct mirage_rb_node, color) == 0);
    CHECK(sizeof(enum mirage_rb_color) == 4);
    CHECK(offsetof(struct mirage_rb_node, parent) == 8);
    CHECK(offsetof(struct mirage_rb_node, left) == 16);
    CHECK(offsetof(struct mirage_rb_node, right) == 24);
}

void test_rbtree_random_insertions_keep_red_black_invariants(void) {
    struct tree tree;
    size_t total = 5000;
    tree_init(&tree, total);
    for (size_t i = 0; i < total && !test_has_failed(); i++) {
        tree_insert(&tree, (long)test_random_between(0, 3000));  // with duplicates
        if (i < 64 || i % 500 == 0) check_tree(&tree);
    }
    check_tree(&tree);
    free(tree.nodes);
}

void test_rbtree_sorted_insertions_keep_red_black_invariants(void) {
    struct tree ascending, descending;
    tree_init(&ascending, 4096);
    tree_init(&descending, 4096);
    for (long key = 0; key < 4096; key++) {
        tree_insert(&ascending, key);
        tree_insert(&descending, 4095 - key);
    }
    check_tree(&ascending);
    check_tree(&descending);
    free(ascending.nodes);
    free(descending.nodes);
}

void test_rbtree_decrement_walks_backwards_from_end(void) {
    struct tree tree;
    size_t total = 3000;
    tree_init(&tree, total);
    long *keys = malloc(total * sizeof *keys);
    for (size_t i = 0; i < total; i++) {
        keys[i] = (long)test_random_between(0, 1000000);
        tree_insert(&tree, keys[i]);
    }
    qsort(keys, total, sizeof *keys, compare_longs);
    struct mirage_rb_node *cursor = &tree.header;
    for (size_t i = total; i-- > 0 && !test_has_failed();) {
        cursor = mirage_rb_decrement(cursor);
        CHECK(cursor != &tree.header);
        CHECK(key_of(cursor) == keys[i]);
    }
    CHECK(cursor == tree.header.left);  // it ends at begin()
    // A single-node tree: end()'s predecessor is the root, which is not mistaken for the header
    // although its grandparent is itself too.
    struct tree single;
    tree_init(&single, 1);
    tree_insert(&single, 7);
    CHECK(mirage_rb_decrement(&single.header) == single.header.parent);
    free(keys);
    free(tree.nodes);
    free(single.nodes);
}

void test_rbtree_decrement_of_an_empty_tree_is_its_header(void) {
    struct tree tree;
    tree_init(&tree, 1);
    CHECK(mirage_rb_decrement(&tree.header) == &tree.header);
    free(tree.nodes);
}
