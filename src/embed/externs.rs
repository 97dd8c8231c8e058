//! The host's side of `extern fn`: implementations written in Rust, bound
//! by name, called with the story's values as [`VarValue`]s.

use std::sync::Arc;

use crate::graph::did_you_mean;
use crate::graph::{self, FnId};
use crate::runtime::{self, HostFn};

use super::Story;
use super::session::PlayError;
use super::value::{VarType, VarValue, to_value};

/// Implementations of a story's `extern fn`s, to start a game with
/// ([`super::Session::start_with`]), so that even the opening text calls
/// them. An extern left unbound runs its default body.
#[derive(Debug, Clone)]
pub struct Bindings {
    graph: Arc<graph::Story>,
    pub(super) externs: runtime::Externs,
}

impl Bindings {
    /// No implementations yet, for `story`'s externs.
    pub fn new(story: &Story) -> Bindings {
        Bindings {
            graph: Arc::clone(&story.graph),
            externs: runtime::Externs::default(),
        }
    }

    /// Binds `extern fn name` to `host`, which gets the arguments and
    /// returns the value, or a message that stops the story with a runtime
    /// error. A value of the wrong type stops it the same way.
    pub fn bind(
        &mut self,
        name: &str,
        host: impl Fn(&[VarValue]) -> Result<VarValue, String> + Send + Sync + 'static,
    ) -> Result<&mut Bindings, PlayError> {
        let (id, wrapped) = host_fn(&self.graph, name, host)?;
        self.externs.bind(id, wrapped);
        Ok(self)
    }
}

/// Resolves `name` to an extern of `graph` and wraps `host` to take and
/// give the runtime's values.
pub(super) fn host_fn(
    graph: &Arc<graph::Story>,
    name: &str,
    host: impl Fn(&[VarValue]) -> Result<VarValue, String> + Send + Sync + 'static,
) -> Result<(FnId, HostFn), PlayError> {
    let externs = || {
        graph
            .functions
            .iter()
            .filter(|function| function.is_extern)
            .map(|function| function.name.as_str())
    };
    let id = graph
        .function_by_name(name)
        .filter(|id| graph.functions[id.index()].is_extern)
        .ok_or_else(|| PlayError::UnknownExtern {
            name: name.to_string(),
            suggestion: did_you_mean(name, externs()).map(str::to_string),
        })?;
    let story = Arc::clone(graph);
    let wrapped: HostFn = Arc::new(move |args: &[graph::Value]| {
        let function = &story.functions[id.index()];
        let values: Vec<VarValue> = args
            .iter()
            .zip(&function.params)
            .map(|(value, ty)| VarValue::of(&story, value, *ty))
            .collect();
        let returned = host(&values)?;
        let kind = returned.kind();
        to_value(&story, returned, function.returns).map_err(|_| {
            format!(
                "it returned {kind}, and `{}` returns {}",
                function.name,
                VarType::of(&story, function.returns)
            )
        })
    });
    Ok((id, wrapped))
}
