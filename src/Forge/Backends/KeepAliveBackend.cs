using Forge.Tensors;

namespace Forge.Backends;

/// <summary>
/// Keeps every tensor passed to a kernel reachable until the kernel returns. CPU kernels work on raw pointers into pinned
/// arrays; a tensor built for the call (<c>x.Contiguous()</c> as an argument) is otherwise unreachable once its pointer is taken,
/// and the garbage collector may free its memory while the kernel still reads it. <see cref="BackendRegistry"/> installs the
/// CPU backend behind this guard.
/// </summary>
public sealed class KeepAliveBackend(IBackend inner) : IBackend
{
    /// <summary>The guarded backend.</summary>
    public IBackend Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    /// <inheritdoc />
    public string Name => Inner.Name;

    /// <inheritdoc />
    public void BatchNormStatistics(Tensor input, Tensor mean, Tensor variance)
    {
        Inner.BatchNormStatistics(input, mean, variance);
        GC.KeepAlive(input);
        GC.KeepAlive(mean);
        GC.KeepAlive(variance);
    }

    /// <inheritdoc />
    public void BatchNormForward(Tensor input, Tensor mean, Tensor invStd, Tensor? weight, Tensor? bias, Tensor output)
    {
        Inner.BatchNormForward(input, mean, invStd, weight, bias, output);
        GC.KeepAlive(input);
        GC.KeepAlive(mean);
        GC.KeepAlive(invStd);
        GC.KeepAlive(weight);
        GC.KeepAlive(bias);
        GC.KeepAlive(output);
    }

    /// <inheritdoc />
    public void BatchNormBackward(Tensor input, Tensor gradOutput, Tensor mean, Tensor invStd, Tensor? weight, bool batchStatistics, Tensor? gradInput, Tensor? gradWeight, Tensor? gradBias)
    {
        Inner.BatchNormBackward(input, gradOutput, mean, invStd, weight, batchStatistics, gradInput, gradWeight, gradBias);
        GC.KeepAlive(input);
        GC.KeepAlive(gradOutput);
        GC.KeepAlive(mean);
        GC.KeepAlive(invStd);
        GC.KeepAlive(weight);
        GC.KeepAlive(gradInput);
        GC.KeepAlive(gradWeight);
        GC.KeepAlive(gradBias);
    }

    /// <inheritdoc />
    public void Im2Col(Tensor input, Tensor columns, int groups, Window2d window)
    {
        Inner.Im2Col(input, columns, groups, window);
        GC.KeepAlive(input);
        GC.KeepAlive(columns);
    }

    /// <inheritdoc />
    public void Col2Im(Tensor columns, Tensor input, int groups, Window2d window)
    {
        Inner.Col2Im(columns, input, groups, window);
        GC.KeepAlive(columns);
        GC.KeepAlive(input);
    }

    /// <inheritdoc />
    public void Gather(Tensor x, int dimension, Tensor index, Tensor result)
    {
        Inner.Gather(x, dimension, index, result);
        GC.KeepAlive(x);
        GC.KeepAlive(index);
        GC.KeepAlive(result);
    }

    /// <inheritdoc />
    public void ScatterAdd(Tensor result, int dimension, Tensor index, Tensor source)
    {
        Inner.ScatterAdd(result, dimension, index, source);
        GC.KeepAlive(result);
        GC.KeepAlive(index);
        GC.KeepAlive(source);
    }

    /// <inheritdoc />
    public void IndexSelect(Tensor x, int dimension, Tensor index, Tensor result)
    {
        Inner.IndexSelect(x, dimension, index, result);
        GC.KeepAlive(x);
        GC.KeepAlive(index);
        GC.KeepAlive(result);
    }

    /// <inheritdoc />
    public void IndexAdd(Tensor result, int dimension, Tensor index, Tensor source)
    {
        Inner.IndexAdd(result, dimension, index, source);
        GC.KeepAlive(result);
        GC.KeepAlive(index);
        GC.KeepAlive(source);
    }

    /// <inheritdoc />
    public void IndexCopy(Tensor result, int dimension, Tensor index, Tensor source)
    {
        Inner.IndexCopy(result, dimension, index, source);
        GC.KeepAlive(result);
        GC.KeepAlive(index);
        GC.KeepAlive(source);
    }

    /// <inheritdoc />
    public void CrossEntropy(Tensor logits, Tensor target, Tensor? weight, int ignoreIndex, float labelSmoothing, Tensor losses, Tensor targetWeights, Tensor logSumExp)
    {
        Inner.CrossEntropy(logits, target, weight, ignoreIndex, labelSmoothing, losses, targetWeights, logSumExp);
        GC.KeepAlive(logits);
        GC.KeepAlive(target);
        GC.KeepAlive(weight);
        GC.KeepAlive(losses);
        GC.KeepAlive(targetWeights);
        GC.KeepAlive(logSumExp);
    }

    /// <inheritdoc />
    public void CrossEntropyBackward(Tensor logits, Tensor target, Tensor? weight, int ignoreIndex, float labelSmoothing, Tensor logSumExp, Tensor gradLosses, Tensor gradLogits)
    {
        Inner.CrossEntropyBackward(logits, target, weight, ignoreIndex, labelSmoothing, logSumExp, gradLosses, gradLogits);
        GC.KeepAlive(logits);
        GC.KeepAlive(target);
        GC.KeepAlive(weight);
        GC.KeepAlive(logSumExp);
        GC.KeepAlive(gradLosses);
        GC.KeepAlive(gradLogits);
    }

    /// <inheritdoc />
    public void NllLoss(Tensor logProbabilities, Tensor target, Tensor? weight, int ignoreIndex, Tensor losses, Tensor targetWeights)
    {
        Inner.NllLoss(logProbabilities, target, weight, ignoreIndex, losses, targetWeights);
        GC.KeepAlive(logProbabilities);
        GC.KeepAlive(target);
        GC.KeepAlive(weight);
        GC.KeepAlive(losses);
        GC.KeepAlive(targetWeights);
    }

    /// <inheritdoc />
    public void NllLossBackward(Tensor target, Tensor? weight, int ignoreIndex, Tensor gradLosses, Tensor gradInput)
    {
        Inner.NllLossBackward(target, weight, ignoreIndex, gradLosses, gradInput);
        GC.KeepAlive(target);
        GC.KeepAlive(weight);
        GC.KeepAlive(gradLosses);
        GC.KeepAlive(gradInput);
    }

    /// <inheritdoc />
    public void LayerNorm(Tensor x, Tensor? weight, Tensor? bias, Tensor y, Tensor mean, Tensor rstd, float eps)
    {
        Inner.LayerNorm(x, weight, bias, y, mean, rstd, eps);
        GC.KeepAlive(x);
        GC.KeepAlive(weight);
        GC.KeepAlive(bias);
        GC.KeepAlive(y);
        GC.KeepAlive(mean);
        GC.KeepAlive(rstd);
    }

    /// <inheritdoc />
    public void LayerNormBackward(Tensor x, Tensor mean, Tensor rstd, Tensor? weight, Tensor gradOutput, Tensor gradInput, Tensor? gradWeight, Tensor? gradBias)
    {
        Inner.LayerNormBackward(x, mean, rstd, weight, gradOutput, gradInput, gradWeight, gradBias);
        GC.KeepAlive(x);
        GC.KeepAlive(mean);
        GC.KeepAlive(rstd);
        GC.KeepAlive(weight);
        GC.KeepAlive(gradOutput);
        GC.KeepAlive(gradInput);
        GC.KeepAlive(gradWeight);
        GC.KeepAlive(gradBias);
    }

    /// <inheritdoc />
    public void RmsNorm(Tensor x, Tensor? weight, Tensor y, Tensor rstd, float eps)
    {
        Inner.RmsNorm(x, weight, y, rstd, eps);
        GC.KeepAlive(x);
        GC.KeepAlive(weight);
        GC.KeepAlive(y);
        GC.KeepAlive(rstd);
    }

    /// <inheritdoc />
    public void RmsNormBackward(Tensor x, Tensor rstd, Tensor? weight, Tensor gradOutput, Tensor gradInput, Tensor? gradWeight)
    {
        Inner.RmsNormBackward(x, rstd, weight, gradOutput, gradInput, gradWeight);
        GC.KeepAlive(x);
        GC.KeepAlive(rstd);
        GC.KeepAlive(weight);
        GC.KeepAlive(gradOutput);
        GC.KeepAlive(gradInput);
        GC.KeepAlive(gradWeight);
    }

    /// <inheritdoc />
    public void SgdStep(Tensor param, Tensor grad, Tensor? momentumBuffer, double lr, double momentum, double dampening, double weightDecay, bool nesterov, bool initializeBuffer)
    {
        Inner.SgdStep(param, grad, momentumBuffer, lr, momentum, dampening, weightDecay, nesterov, initializeBuffer);
        GC.KeepAlive(param);
        GC.KeepAlive(grad);
        GC.KeepAlive(momentumBuffer);
    }

    /// <inheritdoc />
    public void AdamStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq, double lr, double beta1, double beta2, double eps, double weightDecay, long stepCount, bool decoupled, float gradScale)
    {
        Inner.AdamStep(param, grad, expAvg, expAvgSq, maxExpAvgSq, lr, beta1, beta2, eps, weightDecay, stepCount, decoupled, gradScale);
        GC.KeepAlive(param);
        GC.KeepAlive(grad);
        GC.KeepAlive(expAvg);
        GC.KeepAlive(expAvgSq);
        GC.KeepAlive(maxExpAvgSq);
    }

    /// <inheritdoc />
    public (double ParamSquaredNorm, double UpdateSquaredNorm) LambUpdate(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq,
        Tensor update, double beta1, double beta2, double eps, double weightDecay, long stepCount)
    {
        var result = Inner.LambUpdate(param, grad, expAvg, expAvgSq, update, beta1, beta2, eps, weightDecay, stepCount);
        GC.KeepAlive(param);
        GC.KeepAlive(grad);
        GC.KeepAlive(expAvg);
        GC.KeepAlive(expAvgSq);
        GC.KeepAlive(update);
        return result;
    }

    /// <inheritdoc />
    public double Norm(Tensor x, double normType)
    {
        double result = Inner.Norm(x, normType);
        GC.KeepAlive(x);
        return result;
    }

    /// <inheritdoc />
    public void MaxPool2d(Tensor input, Tensor output, Tensor indices, Window2d window)
    {
        Inner.MaxPool2d(input, output, indices, window);
        GC.KeepAlive(input);
        GC.KeepAlive(output);
        GC.KeepAlive(indices);
    }

    /// <inheritdoc />
    public void MaxPool2dBackward(Tensor gradOutput, Tensor indices, Tensor gradInput)
    {
        Inner.MaxPool2dBackward(gradOutput, indices, gradInput);
        GC.KeepAlive(gradOutput);
        GC.KeepAlive(indices);
        GC.KeepAlive(gradInput);
    }

    /// <inheritdoc />
    public void AvgPool2d(Tensor input, Tensor output, Window2d window)
    {
        Inner.AvgPool2d(input, output, window);
        GC.KeepAlive(input);
        GC.KeepAlive(output);
    }

    /// <inheritdoc />
    public void AvgPool2dBackward(Tensor gradOutput, Tensor gradInput, Window2d window)
    {
        Inner.AvgPool2dBackward(gradOutput, gradInput, window);
        GC.KeepAlive(gradOutput);
        GC.KeepAlive(gradInput);
    }

    /// <inheritdoc />
    public void AdaptiveAvgPool2d(Tensor input, Tensor output)
    {
        Inner.AdaptiveAvgPool2d(input, output);
        GC.KeepAlive(input);
        GC.KeepAlive(output);
    }

    /// <inheritdoc />
    public void AdaptiveAvgPool2dBackward(Tensor gradOutput, Tensor gradInput)
    {
        Inner.AdaptiveAvgPool2dBackward(gradOutput, gradInput);
        GC.KeepAlive(gradOutput);
        GC.KeepAlive(gradInput);
    }

    /// <inheritdoc />
    public void AddLayerNorm(Tensor x, Tensor residual, Tensor sum, Tensor? weight, Tensor? bias, Tensor y, Tensor mean, Tensor rstd, float eps)
    {
        Inner.AddLayerNorm(x, residual, sum, weight, bias, y, mean, rstd, eps);
        GC.KeepAlive(x);
        GC.KeepAlive(residual);
        GC.KeepAlive(sum);
        GC.KeepAlive(weight);
        GC.KeepAlive(bias);
        GC.KeepAlive(y);
        GC.KeepAlive(mean);
        GC.KeepAlive(rstd);
    }

    /// <inheritdoc />
    public void FlashAttention(Tensor query, Tensor key, Tensor value, Tensor output, Tensor logSumExp, float scale, bool causal, float dropout, ulong seed)
    {
        Inner.FlashAttention(query, key, value, output, logSumExp, scale, causal, dropout, seed);
        GC.KeepAlive(query);
        GC.KeepAlive(key);
        GC.KeepAlive(value);
        GC.KeepAlive(output);
        GC.KeepAlive(logSumExp);
    }

    /// <inheritdoc />
    public void FlashAttentionBackward(Tensor query, Tensor key, Tensor value, Tensor output, Tensor logSumExp, Tensor gradOutput,
        Tensor gradQuery, Tensor gradKey, Tensor gradValue, float scale, bool causal, float dropout, ulong seed)
    {
        Inner.FlashAttentionBackward(query, key, value, output, logSumExp, gradOutput, gradQuery, gradKey, gradValue, scale, causal, dropout, seed);
        GC.KeepAlive(query);
        GC.KeepAlive(key);
        GC.KeepAlive(value);
        GC.KeepAlive(output);
        GC.KeepAlive(logSumExp);
        GC.KeepAlive(gradOutput);
        GC.KeepAlive(gradQuery);
        GC.KeepAlive(gradKey);
        GC.KeepAlive(gradValue);
    }

    /// <inheritdoc />
    public void CausalSoftmax(Tensor x, Tensor y, float scale)
    {
        Inner.CausalSoftmax(x, y, scale);
        GC.KeepAlive(x);
        GC.KeepAlive(y);
    }

    /// <inheritdoc />
    public void CausalSoftmaxBackward(Tensor y, Tensor gradOutput, Tensor gradInput, float scale)
    {
        Inner.CausalSoftmaxBackward(y, gradOutput, gradInput, scale);
        GC.KeepAlive(y);
        GC.KeepAlive(gradOutput);
        GC.KeepAlive(gradInput);
    }

    /// <inheritdoc />
    public void Softmax(Tensor x, Tensor y)
    {
        Inner.Softmax(x, y);
        GC.KeepAlive(x);
        GC.KeepAlive(y);
    }

    /// <inheritdoc />
    public void SoftmaxBackward(Tensor y, Tensor gradOutput, Tensor gradInput)
    {
        Inner.SoftmaxBackward(y, gradOutput, gradInput);
        GC.KeepAlive(y);
        GC.KeepAlive(gradOutput);
        GC.KeepAlive(gradInput);
    }

    /// <inheritdoc />
    public void LogSoftmax(Tensor x, Tensor y)
    {
        Inner.LogSoftmax(x, y);
        GC.KeepAlive(x);
        GC.KeepAlive(y);
    }

    /// <inheritdoc />
    public void LogSoftmaxBackward(Tensor y, Tensor gradOutput, Tensor gradInput)
    {
        Inner.LogSoftmaxBackward(y, gradOutput, gradInput);
        GC.KeepAlive(y);
        GC.KeepAlive(gradOutput);
        GC.KeepAlive(gradInput);
    }

    /// <inheritdoc />
    public Storage Allocate(DType dtype, long length, bool zeroed) => Inner.Allocate(dtype, length, zeroed);

    /// <inheritdoc />
    public void Copy(Tensor source, Tensor destination)
    {
        Inner.Copy(source, destination);
        GC.KeepAlive(source);
        GC.KeepAlive(destination);
    }

    /// <inheritdoc />
    public void Fill(Tensor destination, double value)
    {
        Inner.Fill(destination, value);
        GC.KeepAlive(destination);
    }

    /// <inheritdoc />
    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor result)
    {
        Inner.Binary(op, a, b, result);
        GC.KeepAlive(a);
        GC.KeepAlive(b);
        GC.KeepAlive(result);
    }

    /// <inheritdoc />
    public void Compare(CompareOp op, Tensor a, Tensor b, Tensor result)
    {
        Inner.Compare(op, a, b, result);
        GC.KeepAlive(a);
        GC.KeepAlive(b);
        GC.KeepAlive(result);
    }

    /// <inheritdoc />
    public void Unary(UnaryOp op, Tensor x, Tensor result, float p1, float p2)
    {
        Inner.Unary(op, x, result, p1, p2);
        GC.KeepAlive(x);
        GC.KeepAlive(result);
    }

    /// <inheritdoc />
    public void UnaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor gradOutput, Tensor gradInput, float p1, float p2)
    {
        Inner.UnaryBackward(op, x, y, gradOutput, gradInput, p1, p2);
        GC.KeepAlive(x);
        GC.KeepAlive(y);
        GC.KeepAlive(gradOutput);
        GC.KeepAlive(gradInput);
    }

    /// <inheritdoc />
    public void ReduceRows(ReduceOp op, Tensor x, Tensor result)
    {
        Inner.ReduceRows(op, x, result);
        GC.KeepAlive(x);
        GC.KeepAlive(result);
    }

    /// <inheritdoc />
    public void ReduceColumns(ReduceOp op, Tensor x, Tensor result)
    {
        Inner.ReduceColumns(op, x, result);
        GC.KeepAlive(x);
        GC.KeepAlive(result);
    }

    /// <inheritdoc />
    public void MatMul(Tensor a, Tensor b, Tensor c, float beta)
    {
        Inner.MatMul(a, b, c, beta);
        GC.KeepAlive(a);
        GC.KeepAlive(b);
        GC.KeepAlive(c);
    }

    /// <inheritdoc />
    public void MatMulBias(Tensor a, Tensor b, Tensor bias, Tensor c)
    {
        Inner.MatMulBias(a, b, bias, c);
        GC.KeepAlive(a);
        GC.KeepAlive(b);
        GC.KeepAlive(bias);
        GC.KeepAlive(c);
    }

    /// <inheritdoc />
    public void CausalMatMul(Tensor a, Tensor b, Tensor c, CausalProduct product)
    {
        Inner.CausalMatMul(a, b, c, product);
        GC.KeepAlive(a);
        GC.KeepAlive(b);
        GC.KeepAlive(c);
    }
}
