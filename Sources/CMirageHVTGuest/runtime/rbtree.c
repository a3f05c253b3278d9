// Red-black tree insertion and in-order predecessor, written from the algorithm in Cormen,
// Leiserson, Rivest and Stein, "Introduction to Algorithms" (3rd ed.), chapter 13: RB-INSERT
// links the new node red, and RB-INSERT-FIXUP repairs a red node with a red parent by recolouring
// (the uncle is red) or by one or two rotations (the uncle is black), moving up the tree.
// CLRS's sentinel T.nil is NULL here, and its T.root is the header's parent (see rbtree.h). The
// C++ reference parameter `_Rb_tree_node_base&` is passed as a pointer (Itanium C++ ABI).
#include "rbtree.h"

#include <stddef.h>

typedef struct mirage_rb_node node_t;

/// Replaces `old_child` of `old_child->parent` by `new_child`, updating the root if needed.
static void replace_in_parent(node_t *old_child, node_t *new_child, node_t *header) {
    node_t *parent = old_child->parent;
    new_child->parent = parent;
    if (old_child == header->parent) header->parent = new_child;
    else if (old_child == parent->left) parent->left = new_child;
    else parent->right = new_child;
}

/// CLRS LEFT-ROTATE: `node`'s right child takes its place; `node` becomes its left child.
static void rotate_left(node_t *node, node_t *header) {
    node_t *pivot = node->right;
    node->right = pivot->left;
    if (pivot->left != NULL) pivot->left->parent = node;
    replace_in_parent(node, pivot, header);
    pivot->left = node;
    node->parent = pivot;
}

/// CLRS RIGHT-ROTATE, the mirror image.
static void rotate_right(node_t *node, node_t *header) {
    node_t *pivot = node->left;
    node->left = pivot->right;
    if (pivot->right != NULL) pivot->right->parent = node;
    replace_in_parent(node, pivot, header);
    pivot->right = node;
    node->parent = pivot;
}

void mirage_rb_insert_and_rebalance(bool insert_left, node_t *node, node_t *parent, node_t *header) {
    node->parent = parent;
    node->left = NULL;
    node->right = NULL;
    node->color = MIRAGE_RB_RED;

    // Link the node, keeping header.parent (root), header.left (leftmost) and header.right
    // (rightmost). Inserting under the header itself means the tree was empty.
    if (insert_left) {
        parent->left = node;  // for the header, this makes the node the leftmost
        if (parent == header) {
            header->parent = node;
            header->right = node;
        } else if (parent == header->left) {
            header->left = node;
        }
    } else {
        parent->right = node;
        if (parent == header->right) header->right = node;
    }

    // RB-INSERT-FIXUP. While the node and its parent are both red, the parent is not the root
    // (the root is black), so the grandparent is a real node.
    while (node != header->parent && node->parent->color == MIRAGE_RB_RED) {
        node_t *father = node->parent;
        node_t *grandfather = father->parent;
        if (father == grandfather->left) {
            node_t *uncle = grandfather->right;
            if (uncle != NULL && uncle->color == MIRAGE_RB_RED) {
                // Case 1: push the grandfather's blackness down and continue above it.
                father->color = MIRAGE_RB_BLACK;
                uncle->color = MIRAGE_RB_BLACK;
                grandfather->color = MIRAGE_RB_RED;
                node = grandfather;
            } else {
                if (node == father->right) {
                    // Case 2: rotate the inner grandchild to the outside.
                    node = father;
                    rotate_left(node, header);
                    father = node->parent;
                }
                // Case 3: rotate the grandfather down; the new subtree root is black.
                father->color = MIRAGE_RB_BLACK;
                grandfather->color = MIRAGE_RB_RED;
                rotate_right(grandfather, header);
            }
        } else {
            node_t *uncle = grandfather->left;
            if (uncle != NULL && uncle->color == MIRAGE_RB_RED) {
                father->color = MIRAGE_RB_BLACK;
                uncle->color = MIRAGE_RB_BLACK;
                grandfather->color = MIRAGE_RB_RED;
                node = grandfather;
            } else {
                if (node == father->left) {
                    node = father;
                    rotate_right(node, header);
                    father = node->parent;
                }
                father->color = MIRAGE_RB_BLACK;
                grandfather->color = MIRAGE_RB_RED;
                rotate_left(grandfather, header);
            }
        }
    }
    header->parent->color = MIRAGE_RB_BLACK;
}

node_t *mirage_rb_decrement(node_t *node) {
    // The header (end()): red, and its parent (the root) has it as parent. An empty tree's
    // header has no root; its predecessor is taken to be itself (header.right).
    if (node->color == MIRAGE_RB_RED && (node->parent == NULL || node->parent->parent == node)) {
        return node->right;
    }
    // With a left subtree, the predecessor is that subtree's rightmost node.
    if (node->left != NULL) {
        node_t *candidate = node->left;
        while (candidate->right != NULL) candidate = candidate->right;
        return candidate;
    }
    // Otherwise, the nearest ancestor whose right subtree holds the node.
    node_t *parent = node->parent;
    while (node == parent->left) {
        node = parent;
        parent = parent->parent;
    }
    return parent;
}
