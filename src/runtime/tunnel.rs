//! Tunnels, locals and glue at run time: the call stack's frames, a
//! call and its arguments, temporaries, and paragraphs glued with `<>`.

use serde::{Deserialize, Serialize};

use super::{Machine, Output, RuntimeError, RuntimeErrorKind, State, assigned, collapse_spaces};
use crate::diagnostic::Span;
use crate::graph::{AssignOp, Expr, Fault, MAX_CALL_DEPTH, Part, SceneId, Story, Tag, Value};

/// A tunnel call under way: the caller's place and locals, restored by
/// `->->`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Frame {
    /// The scene that made the call.
    pub scene: SceneId,
    /// The op after the call, where `->->` goes on.
    pub pc: u32,
    /// The caller's locals, as they were at the call.
    pub locals: Vec<Value>,
}

/// The locals of a fresh visit of `scene`: every slot at its type's
/// default (a call then sets its parameters).
pub fn fresh_locals(story: &Story, scene: SceneId) -> Vec<Value> {
    story
        .scenes
        .get(scene.index())
        .map_or_else(Vec::new, |scene| {
            scene
                .locals
                .iter()
                .map(|local| local.ty.default_value())
                .collect()
        })
}

/// A paragraph built from text lines joined by glue (`<>`): emitted when
/// a line without glue ends it, or when the run pauses or fails.
#[derive(Debug, Default)]
pub(super) struct Glue {
    /// Whether a glued line is waiting for the next.
    open: bool,
    text: String,
    tags: Vec<Tag>,
    /// Bytes rendered into the paragraph so far, counted with or without
    /// text, so its limit is the same error either way.
    len: usize,
}

impl Glue {
    /// Empty again, keeping its buffers (a run starts with this, millions of
    /// times in a search).
    pub(super) fn reset(&mut self) {
        let Glue {
            open,
            text,
            tags,
            len,
        } = self;
        *open = false;
        text.clear();
        tags.clear();
        *len = 0;
    }
}

impl Machine {
    /// Emits the glued paragraph, if one is open.
    pub(super) fn flush_glue(&mut self, out: &mut impl Output) {
        let glue = std::mem::take(&mut self.glue);
        if !glue.open || !out.wants_text() {
            return;
        }
        let mut text = glue.text;
        collapse_spaces(&mut text);
        let trimmed = text.trim();
        if !trimmed.is_empty() {
            out.paragraph(trimmed, &glue.tags);
        }
    }

    /// Renders a text line, and emits it as a paragraph unless it is glued
    /// to the next (`glue`) or continues a glued one.
    pub(super) fn text_line(
        &mut self,
        story: &Story,
        state: &mut State,
        out: &mut impl Output,
        (text, tags, glue): (&[Part], &[Tag], bool),
    ) -> Result<(), Fault> {
        let joined = glue || self.glue.open;
        let mut length = if self.glue.open { self.glue.len } else { 0 };
        if !out.wants_text() {
            self.render(story, state, text, None, &mut length)?;
        } else {
            let mut buffer = std::mem::take(&mut self.text);
            buffer.clear();
            let rendered = self.render(story, state, text, Some(&mut buffer), &mut length);
            if rendered.is_ok() {
                if joined {
                    self.glue.text.push_str(&buffer);
                    self.glue.tags.extend_from_slice(tags);
                } else {
                    collapse_spaces(&mut buffer);
                    let trimmed = buffer.trim();
                    if !trimmed.is_empty() {
                        out.paragraph(trimmed, tags);
                    }
                }
            }
            self.text = buffer;
            rendered?;
        }
        if joined {
            self.glue.open = true;
            self.glue.len = length;
            if !glue {
                self.flush_glue(out);
            }
        }
        Ok(())
    }

    /// `-> target(args) ->`: evaluates the arguments in the caller, then
    /// enters `target` with them as its first locals, remembering where
    /// to return.
    pub(super) fn call(
        &mut self,
        story: &Story,
        state: &mut State,
        (target, args, span): (SceneId, &[Expr], Span),
    ) -> Result<(), RuntimeError> {
        let scene = state.scene;
        let located = |fault, span| RuntimeError::fault(story, scene, Some(span), fault);
        if state.calls.len() >= MAX_CALL_DEPTH {
            return Err(RuntimeError::new(
                story,
                scene,
                Some(span),
                RuntimeErrorKind::CallTooDeep,
            ));
        }
        let mut locals = fresh_locals(story, target);
        for (index, arg) in args.iter().enumerate() {
            let value = self
                .live_value(story, state, arg)
                .map_err(|fault| located(fault, arg.span))?;
            let slot = locals
                .get_mut(index)
                .ok_or_else(|| located(Fault::Malformed("more arguments than parameters"), span))?;
            *slot = value;
        }
        let visits = state
            .visits
            .get_mut(target.index())
            .ok_or_else(|| located(Fault::Malformed("unknown tunnel"), span))?;
        *visits = visits.saturating_add(1);
        let caller = std::mem::replace(&mut state.locals, locals);
        state.calls.push(Frame {
            scene: state.scene,
            pc: state.pc + 1,
            locals: caller,
        });
        state.scene = target;
        state.pc = 0;
        Ok(())
    }

    /// `~ temp name = value` or `~ name op value` on a temporary.
    pub(super) fn set_local(
        &mut self,
        story: &Story,
        state: &mut State,
        slot: u32,
        op: AssignOp,
        expr: &crate::graph::Expr,
    ) -> Result<(), Fault> {
        let value = self.live_value(story, state, expr)?;
        let slot = state
            .locals
            .get_mut(slot as usize)
            .ok_or(Fault::Malformed("unknown local"))?;
        *slot = assigned(slot, op, value)?;
        Ok(())
    }
}
