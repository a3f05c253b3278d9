// The two libstdc++ red-black tree functions libswift_Concurrency.a calls (its task-local
// storage uses a std::map-like tree), implemented in C on libstdc++'s node layout so that the
// guest links no C++ library.
//
// Layout and conventions (those of libstdc++'s `std::_Rb_tree_node_base`, which compiled code
// relies on): a node is { color, parent, left, right }, color red = 0 and black = 1. A tree has a
// header node: header.parent is the root (NULL when empty), header.left the leftmost node,
// header.right the rightmost; the root's parent is the header, which is red, so the header is the
// one red node whose grandparent is itself. An empty tree's header has left = right = header.
#ifndef MIRAGE_HVT_RBTREE_H
#define MIRAGE_HVT_RBTREE_H

#include <stdbool.h>

enum mirage_rb_color { MIRAGE_RB_RED = 0, MIRAGE_RB_BLACK = 1 };

/// libstdc++'s `std::_Rb_tree_node_base`: 32 bytes on x86-64; keys and values follow it in the
/// derived node type.
struct mirage_rb_node {
    enum mirage_rb_color color;
    struct mirage_rb_node *parent;
    struct mirage_rb_node *left;
    struct mirage_rb_node *right;
};

/// `std::_Rb_tree_insert_and_rebalance(bool, _Rb_tree_node_base*, _Rb_tree_node_base*,
/// _Rb_tree_node_base&)`: links `node` as the left (when `insert_left`) or right child of
/// `parent`, which has no child there, keeps the header's leftmost and rightmost up to date,
/// and restores the red-black properties.
void mirage_rb_insert_and_rebalance(bool insert_left, struct mirage_rb_node *node, struct mirage_rb_node *parent,
                                    struct mirage_rb_node *header)
    __asm__("_ZSt29_Rb_tree_insert_and_rebalancebPSt18_Rb_tree_node_baseS0_RS_");

/// `std::_Rb_tree_decrement(_Rb_tree_node_base*)`: the in-order predecessor of `node`; for the
/// header (end()), the rightmost node.
struct mirage_rb_node *mirage_rb_decrement(struct mirage_rb_node *node)
    __asm__("_ZSt18_Rb_tree_decrementPSt18_Rb_tree_node_base");

#endif
